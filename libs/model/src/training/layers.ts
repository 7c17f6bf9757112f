import * as tf from '@tensorflow/tfjs-core';
import { glorotUniformTensor, type SeededRng } from '@maskgen/tensor';
import { type VariableStore } from './variables';

/** A running-statistics update computed during a training forward pass, applied after the optimiser step. */
export interface StatUpdate {
  readonly variable: tf.Variable;
  readonly value: tf.Tensor;
}

/**
 * How a forward pass runs. In training mode BatchNorm normalises with batch statistics and queues running-average
 * updates into `updates` (assigning inside a gradient tape would mix state changes into the loss computation).
 */
export interface ForwardMode {
  readonly training: boolean;
  readonly updates?: StatUpdate[];
  /**
   * Data-parallel training: element-wise sum of a host vector over every replica's shard of the batch (see
   * training/parallel). Layers whose output couples samples (BatchNorm, the EMA codebook) then use the statistics of
   * the whole batch, so N replicas compute exactly what one would on the full batch.
   */
  readonly reduce?: CrossReplicaSum;
}

/** Sums a host vector over the replicas of one data-parallel step; every replica gets the same result. */
export type CrossReplicaSum = (local: ArrayLike<number>) => Float64Array;

export const INFERENCE: ForwardMode = { training: false };

/** Assigns and disposes queued running-statistics updates. */
export function applyStatUpdates(updates: StatUpdate[]): void {
  for (const { variable, value } of updates.splice(0)) {
    variable.assign(value);
    value.dispose();
  }
}

/** Disposes queued updates without applying them (e.g. after a failed step). */
export function discardStatUpdates(updates: StatUpdate[]): void {
  for (const { value } of updates.splice(0)) value.dispose();
}

/** Identity whose gradient is zero (tfjs has no stop_gradient op): straight-through estimators, commitment targets. */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...inputs) => ({
  value: tf.clone(inputs[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

export interface DenseParams {
  readonly kernel: tf.Variable; // [in, out]
  readonly bias?: tf.Variable; // [out]
}

/** Glorot-uniform kernel, zero bias (Keras defaults). */
export function createDense(
  store: VariableStore,
  name: string,
  inputs: number,
  outputs: number,
  rng: SeededRng,
  options: { bias?: boolean } = {},
): DenseParams {
  const kernel = store.param(`${name}/kernel`, glorotUniformTensor([inputs, outputs], rng.fork(name)));
  if (options.bias === false) return { kernel };
  return { kernel, bias: store.param(`${name}/bias`, tf.zeros([outputs])) };
}

/** x [..., in] → [..., out]; folds leading axes into one matMul (no transposeA/B, which is slow on wasm). */
export function dense(x: tf.Tensor, p: DenseParams): tf.Tensor {
  return tf.tidy(() => {
    const [inputs, outputs] = p.kernel.shape;
    const lead = x.shape.slice(0, -1);
    let y = tf.matMul(tf.reshape(x, [-1, inputs]), p.kernel);
    if (p.bias) y = tf.add(y, p.bias);
    return tf.reshape(y, [...lead, outputs]);
  });
}

export interface NormParams {
  readonly gamma: tf.Variable; // [C]
  readonly beta: tf.Variable; // [C]
}

export function createLayerNorm(store: VariableStore, name: string, channels: number): NormParams {
  return {
    gamma: store.param(`${name}/gamma`, tf.ones([channels])),
    beta: store.param(`${name}/beta`, tf.zeros([channels])),
  };
}

/** LayerNorm over the last axis: x [..., C]. */
export function layerNorm(x: tf.Tensor, p: NormParams, epsilon = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), p.gamma), p.beta);
  });
}

export interface BatchNormParams extends NormParams {
  readonly runningMean: tf.Variable; // [C], buffer
  readonly runningVar: tf.Variable; // [C], buffer
}

export interface BatchNormOptions {
  readonly epsilon: number;
  /** PyTorch convention: running ← (1 − momentum)·running + momentum·batch. */
  readonly momentum: number;
}

/** PyTorch's BatchNorm defaults (eps 1e-5, momentum 0.1 = Keras 0.9). */
export const BATCH_NORM_DEFAULTS: BatchNormOptions = { epsilon: 1e-5, momentum: 0.1 };

export function createBatchNorm(store: VariableStore, name: string, channels: number): BatchNormParams {
  return {
    gamma: store.param(`${name}/gamma`, tf.ones([channels])),
    beta: store.param(`${name}/beta`, tf.zeros([channels])),
    runningMean: store.buffer(`${name}/running_mean`, tf.zeros([channels])),
    runningVar: store.buffer(`${name}/running_var`, tf.ones([channels])),
  };
}

/**
 * BatchNorm over every axis but the last (x [..., C], channels-last). Training: batch statistics (biased variance
 * for normalising, unbiased for the running average, as PyTorch); inference: running statistics.
 */
export function batchNorm(
  x: tf.Tensor,
  p: BatchNormParams,
  mode: ForwardMode,
  options: BatchNormOptions = BATCH_NORM_DEFAULTS,
): tf.Tensor {
  if (mode.training && mode.reduce) return syncBatchNorm(x, p, mode, mode.reduce, options);
  return tf.tidy(() => {
    const channels = x.shape[x.shape.length - 1];
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    if (mode.training) {
      const flat = tf.reshape(x, [-1, channels]);
      ({ mean, variance } = tf.moments(flat, 0));
      const count = flat.shape[0];
      if (mode.updates) {
        const unbiased = tf.mul(variance, count > 1 ? count / (count - 1) : 1);
        const m = options.momentum;
        // The loss never depends on these, so the tape prunes them without a stop-gradient.
        const nextMean = tf.add(tf.mul(p.runningMean, 1 - m), tf.mul(mean, m));
        const nextVar = tf.add(tf.mul(p.runningVar, 1 - m), tf.mul(unbiased, m));
        mode.updates.push(
          { variable: p.runningMean, value: tf.keep(nextMean) },
          { variable: p.runningVar, value: tf.keep(nextVar) },
        );
      }
    } else {
      mean = p.runningMean;
      variance = p.runningVar;
    }
    const scale = tf.mul(tf.rsqrt(tf.add(variance, options.epsilon)), p.gamma);
    return tf.add(tf.mul(tf.sub(x, mean), scale), p.beta);
  });
}

/**
 * Training-mode BatchNorm over a batch split across replicas (SyncBatchNorm): the mean and variance are those of
 * the whole batch (two cross-replica sums), and so is the backward pass, whose dx needs the batch means of dy·γ and
 * dy·γ·x̂ (one more sum). Same result as `batchNorm` on the concatenated shards, up to float rounding.
 */
function syncBatchNorm(
  x: tf.Tensor,
  p: BatchNormParams,
  mode: ForwardMode,
  reduce: CrossReplicaSum,
  options: BatchNormOptions,
): tf.Tensor {
  const shape = x.shape;
  const channels = shape[shape.length - 1];
  const flat = tf.reshape(x, [-1, channels]);
  const rows = flat.shape[0];
  const localSum = tf.tidy(() => tf.sum(flat, 0));
  const first = reduce([...localSum.dataSync(), rows]);
  localSum.dispose();
  const count = first[channels];
  const mean = Float32Array.from(first.subarray(0, channels), (s) => s / count);
  const localSquares = tf.tidy(() => tf.sum(tf.square(tf.sub(flat, tf.tensor1d(mean))), 0));
  const squares = reduce(localSquares.dataSync());
  localSquares.dispose();
  flat.dispose();
  const variance = Float32Array.from(squares, (s) => s / count);
  const invStd = Float32Array.from(variance, (v) => 1 / Math.sqrt(v + options.epsilon));
  if (mode.updates) {
    const m = options.momentum;
    const unbiased = Float32Array.from(variance, (v) => (count > 1 ? (v * count) / (count - 1) : v));
    // Kept: the forward pass runs inside the caller's tidy scopes, and the updates outlive them.
    const next = (running: tf.Variable, batch: Float32Array): tf.Tensor =>
      tf.keep(tf.tidy(() => tf.add(tf.mul(running, 1 - m), tf.mul(tf.tensor1d(batch), m))));
    mode.updates.push(
      { variable: p.runningMean, value: next(p.runningMean, mean) },
      { variable: p.runningVar, value: next(p.runningVar, unbiased) },
    );
  }
  const normalise = (input: tf.Tensor): tf.Tensor =>
    tf.mul(tf.sub(tf.reshape(input, [-1, channels]), tf.tensor1d(mean)), tf.tensor1d(invStd));
  const op = tf.customGrad((...args: unknown[]) => {
    const [input, gamma, beta, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([input, gamma]);
    const value = tf.reshape(tf.add(tf.mul(normalise(input), gamma), beta), shape);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [savedInput, savedGamma] = saved;
        const dyFlat = tf.reshape(dy as tf.Tensor, [-1, channels]);
        const xHat = normalise(savedInput);
        const dxHat = tf.mul(dyFlat, savedGamma);
        const local = tf.concat([tf.sum(dxHat, 0), tf.sum(tf.mul(dxHat, xHat), 0)]);
        const sums = reduce(local.dataSync());
        local.dispose();
        const meanDxHat = tf.tensor1d(Float32Array.from(sums.subarray(0, channels), (s) => s / count));
        const meanDxHatXHat = tf.tensor1d(Float32Array.from(sums.subarray(channels), (s) => s / count));
        const dx = tf.mul(tf.sub(tf.sub(dxHat, meanDxHat), tf.mul(xHat, meanDxHatXHat)), tf.tensor1d(invStd));
        return [tf.reshape(dx, shape), tf.sum(tf.mul(dyFlat, xHat), 0), tf.sum(dyFlat, 0)];
      },
    };
  });
  return op(x, p.gamma, p.beta);
}
