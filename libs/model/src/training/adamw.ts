import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  /** Decoupled weight decay λ: p ← p − lr·λ·p, applied apart from the adaptive step (Loshchilov & Hutter). */
  readonly weightDecay?: number;
}

/** PyTorch's torch.optim.AdamW defaults except weight decay, which the spec sets per stage. */
export const ADAMW_DEFAULTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-2 } as const;

/**
 * AdamW over a fixed, named set of variables. tfjs only ships Adam (whose decay would be L2 added to the
 * gradient); this keeps the moments as named variables so a checkpoint can resume training exactly.
 * The learning rate is an argument of `apply`, so any schedule can drive it.
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private readonly params: ReadonlyArray<readonly [string, tf.Variable]>;
  private readonly firstMoments = new Map<string, tf.Variable>();
  private readonly secondMoments = new Map<string, tf.Variable>();
  /** Number of updates applied so far (bias correction uses it); a variable so it checkpoints with the moments. */
  private readonly stepCount: tf.Variable;

  constructor(params: Readonly<Record<string, tf.Variable>>, options: AdamWOptions = {}) {
    this.beta1 = options.beta1 ?? ADAMW_DEFAULTS.beta1;
    this.beta2 = options.beta2 ?? ADAMW_DEFAULTS.beta2;
    this.epsilon = options.epsilon ?? ADAMW_DEFAULTS.epsilon;
    this.weightDecay = options.weightDecay ?? ADAMW_DEFAULTS.weightDecay;
    this.params = Object.entries(params);
    for (const [name, variable] of this.params) {
      if (variable.dtype !== 'float32') throw new Error(`AdamW: '${name}' is ${variable.dtype}, not float32`);
      this.firstMoments.set(name, ownedVariable(tf.zerosLike(variable)));
      this.secondMoments.set(name, ownedVariable(tf.zerosLike(variable)));
    }
    this.stepCount = ownedVariable(tf.scalar(0, 'int32'));
  }

  /** Updates applied so far. */
  get step(): number {
    return this.stepCount.dataSync()[0];
  }

  /**
   * One update. `grads` holds a gradient per parameter name; a parameter without one (not reached by the loss) is
   * left alone, including its decay, as PyTorch does for parameters whose grad is None.
   */
  apply(grads: Readonly<Record<string, tf.Tensor>>, learningRate: number): void {
    const t = this.step + 1;
    // Bias corrections in float64 on the host; only the scalars reach the graph.
    const stepSize = learningRate / (1 - this.beta1 ** t);
    const secondCorrection = 1 - this.beta2 ** t;
    tf.tidy(() => {
      for (const [name, param] of this.params) {
        const grad = grads[name];
        if (grad === undefined) continue;
        const m = this.firstMoments.get(name) as tf.Variable;
        const v = this.secondMoments.get(name) as tf.Variable;
        const mNext = tf.add(tf.mul(m, this.beta1), tf.mul(grad, 1 - this.beta1));
        const vNext = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(grad), 1 - this.beta2));
        const denom = tf.add(tf.sqrt(tf.div(vNext, secondCorrection)), this.epsilon);
        const decayed = tf.mul(param, 1 - learningRate * this.weightDecay);
        param.assign(tf.sub(decayed, tf.mul(tf.div(mNext, denom), stepSize)));
        m.assign(mNext);
        v.assign(vNext);
      }
      this.stepCount.assign(tf.scalar(t, 'int32'));
    });
  }

  /** Optimiser state keyed `adamw/{m,v}/<param>` and `adamw/step`, for checkpoints. */
  stateVariables(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = { 'adamw/step': this.stepCount };
    for (const [name] of this.params) {
      out[`adamw/m/${name}`] = this.firstMoments.get(name) as tf.Variable;
      out[`adamw/v/${name}`] = this.secondMoments.get(name) as tf.Variable;
    }
    return out;
  }

  dispose(): void {
    Object.values(this.stateVariables()).forEach((v) => v.dispose());
  }
}

/** A non-trainable variable holding `initial`'s value; `initial` itself is disposed. */
function ownedVariable(initial: tf.Tensor): tf.Variable {
  const variable = tf.variable(initial, false);
  initial.dispose();
  return variable;
}
