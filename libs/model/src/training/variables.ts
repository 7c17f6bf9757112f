import * as tf from '@tensorflow/tfjs-core';

/**
 * Named variables of one model: trainable parameters and non-trainable buffers (BatchNorm running statistics,
 * EMA codebooks). Names are stable checkpoint keys, so layers take their variables explicitly rather than
 * creating them on first call.
 */
export class VariableStore {
  private readonly trainable = new Map<string, tf.Variable>();
  private readonly buffers = new Map<string, tf.Variable>();

  /** Takes ownership of `initial` (it becomes the variable's value and is disposed with it). */
  param(name: string, initial: tf.Tensor): tf.Variable {
    return this.add(this.trainable, name, initial, true);
  }

  buffer(name: string, initial: tf.Tensor): tf.Variable {
    return this.add(this.buffers, name, initial, false);
  }

  /** Trainable parameters by name: what the optimiser updates. */
  params(): Record<string, tf.Variable> {
    return Object.fromEntries(this.trainable);
  }

  /** Everything a checkpoint must hold to reproduce the model: parameters and buffers. */
  all(): Record<string, tf.Variable> {
    return { ...Object.fromEntries(this.trainable), ...Object.fromEntries(this.buffers) };
  }

  parameterCount(): number {
    let total = 0;
    for (const v of this.trainable.values()) total += v.size;
    return total;
  }

  dispose(): void {
    for (const v of [...this.trainable.values(), ...this.buffers.values()]) v.dispose();
    this.trainable.clear();
    this.buffers.clear();
  }

  private add(
    target: Map<string, tf.Variable>,
    name: string,
    initial: tf.Tensor,
    trainable: boolean,
  ): tf.Variable {
    if (this.trainable.has(name) || this.buffers.has(name)) {
      initial.dispose();
      throw new Error(`variable '${name}' is defined twice`);
    }
    // Left unnamed: tfjs variable names are process-global, and two models may hold the same keys.
    // tf.variable shares `initial`'s data id, so disposing `initial` afterwards keeps the value.
    const variable = tf.variable(initial, trainable);
    initial.dispose();
    target.set(name, variable);
    return variable;
  }
}
