import * as tf from '@tensorflow/tfjs-core';
import { type SeededRng } from '@maskgen/tensor';
import {
  AdamW,
  batchesPerEpoch,
  type StepMetrics,
  type TrainLoopResult,
  type TrainProgress,
  type TrainingCheckpoints,
  cosineLearningRate,
  essCosinePeriod,
  modelCheckpointHooks,
  shuffledBatches,
  trainLoop,
} from '../training';
import { type PriorTrainingConfig } from './config';
import { applyMask, trainingMask } from './masking';
import {
  ReplicaPool,
  type TrainParallelism,
  applyHostGradients,
  replicaCount,
  splitRows,
} from '../parallel/pool';
import { type TimeVqPrior, serializePrior } from './model';
import { sampleTokens } from './stage1';

/** Training data for both priors, derived once from the frozen stage 1. */
export interface PriorTrainingSet {
  /** Stochastic-token logits (`tokenLogits`) [M, N_lf, K_lf] and [M, N_hf, K_hf]; the caller owns them. */
  readonly lfLogits: tf.Tensor3D;
  readonly hfLogits: tf.Tensor3D;
  /** Class index per series [M], in 0..numClasses−1. */
  readonly labels: Int32Array;
}

export interface TrainPriorOptions {
  readonly training: PriorTrainingConfig;
  /** Probability of replacing a label by "no class" (0.2), drawn per sample and branch. */
  readonly classDropout: number;
  readonly rng: SeededRng;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: TrainProgress) => void | Promise<void>;
  readonly progressEvery?: number;
  /** In-training checkpoints and the state to resume from. */
  readonly checkpoints?: TrainingCheckpoints;
  /** Data parallelism and micro-batching; without it the step runs on this thread over the whole batch. */
  readonly parallel?: TrainParallelism;
}

/** One training batch, as host arrays (row-major). On an LF-only step the HF arrays are empty. */
export interface PriorBatch {
  readonly size: number;
  readonly lfTargets: Int32Array; // [b, N_lf]
  readonly hfTargets: Int32Array; // [b, N_hf]
  readonly lfInput: Int32Array; // [b, N_lf], masked
  readonly hfInput: Int32Array; // [b, N_hf], masked
  readonly lfClasses: Int32Array; // [b], with dropout
  readonly hfClasses: Int32Array; // [b], with dropout
}

/** Mean cross-entropy over every position (ess.md §4.2 R): logits [B, N, K], targets int32 [B, N] → scalar. */
export function tokenCrossEntropy(logits: tf.Tensor3D, targets: tf.Tensor): tf.Scalar {
  const k = logits.shape[2];
  const hot = tf.reshape(tf.oneHot(tf.reshape(targets, [-1]), k), logits.shape);
  return tf.neg(tf.mean(tf.sum(tf.mul(hot, tf.logSoftmax(logits)), -1)));
}

/**
 * Draws one batch: fresh stochastic tokens for rows `rows`, independent masks per branch with one t each (the HF
 * input keeps the clean LF tokens as its condition), and class dropout.
 */
export function drawPriorBatch(
  prior: TimeVqPrior,
  data: PriorTrainingSet,
  rows: readonly number[],
  training: Pick<PriorTrainingConfig, 'maskRule'>,
  classDropout: number,
  rng: SeededRng,
  withHf = true,
): PriorBatch {
  const { lfTokens, hfTokens, lfCodebookSize, hfCodebookSize } = prior.shapes;
  const sample = (logits: tf.Tensor3D, label: string): Int32Array => {
    const ids = tf.tidy(() =>
      sampleTokens(tf.gather(logits, tf.tensor1d(Array.from(rows), 'int32')), rng.fork(label)),
    );
    const values = ids.dataSync() as Int32Array;
    ids.dispose();
    return values;
  };
  const lfTargets = sample(data.lfLogits, 'lf-tokens');
  const b = rows.length;
  const dropClasses = (label: string): Int32Array => {
    const r = rng.fork(label);
    return Int32Array.from(rows, (row) => (r.next() < classDropout ? prior.noClass : data.labels[row]));
  };
  const lf = {
    lfTargets,
    lfInput: applyMask(
      lfTargets,
      trainingMask(b, lfTokens, training.maskRule, rng.fork('lf-mask')),
      lfCodebookSize,
    ),
    lfClasses: dropClasses('lf-classes'),
  };
  if (!withHf) {
    return {
      size: b,
      ...lf,
      hfTargets: new Int32Array(0),
      hfInput: new Int32Array(0),
      hfClasses: new Int32Array(0),
    };
  }
  const hfTargets = sample(data.hfLogits, 'hf-tokens');
  return {
    size: b,
    ...lf,
    hfTargets,
    hfInput: applyMask(
      hfTargets,
      trainingMask(b, hfTokens, training.maskRule, rng.fork('hf-mask')),
      hfCodebookSize,
    ),
    hfClasses: dropClasses('hf-classes'),
  };
}

/** Whether a batch trains the HF prior (see `PriorTrainingConfig.lfStepsPerHfStep`). */
export function trainsHf(batch: PriorBatch): boolean {
  return batch.hfClasses.length > 0;
}

/**
 * (CE_lf + CE_hf) / 2 of one batch, CE_lf / 2 on an LF-only batch (so each branch's gradient does not depend on
 * whether the other trains); also returns the branch losses. Call inside a gradient scope.
 */
export function priorLoss(
  prior: TimeVqPrior,
  batch: PriorBatch,
): { loss: tf.Scalar; lf: tf.Scalar; hf: tf.Scalar | null } {
  const { lfTokens, hfTokens } = prior.shapes;
  const b = batch.size;
  const lfTargets = tf.tensor2d(batch.lfTargets, [b, lfTokens], 'int32');
  const lf = tokenCrossEntropy(
    prior.lf.logits(
      tf.tensor2d(batch.lfInput, [b, lfTokens], 'int32'),
      tf.tensor1d(batch.lfClasses, 'int32'),
    ),
    lfTargets,
  );
  if (!trainsHf(batch)) return { loss: tf.div(lf, 2), lf, hf: null };
  const hf = tokenCrossEntropy(
    prior.hf.logits(
      tf.tensor2d(batch.hfInput, [b, hfTokens], 'int32'),
      tf.tensor1d(batch.hfClasses, 'int32'),
      lfTargets,
    ),
    tf.tensor2d(batch.hfTargets, [b, hfTokens], 'int32'),
  );
  return { loss: tf.div(tf.add(lf, hf), 2), lf, hf };
}

/** Rows [start, end) of a batch. */
export function slicePriorBatch(batch: PriorBatch, start: number, end: number): PriorBatch {
  const lfTokens = batch.lfTargets.length / batch.size;
  const hfTokens = batch.hfTargets.length / batch.size;
  return {
    size: end - start,
    lfTargets: batch.lfTargets.subarray(start * lfTokens, end * lfTokens),
    hfTargets: batch.hfTargets.subarray(start * hfTokens, end * hfTokens),
    lfInput: batch.lfInput.subarray(start * lfTokens, end * lfTokens),
    hfInput: batch.hfInput.subarray(start * hfTokens, end * hfTokens),
    lfClasses: batch.lfClasses.subarray(start, end),
    hfClasses: batch.hfClasses.subarray(start, end),
  };
}

/** Gradients (by store name) and losses of `weight` × the mean prior loss of a batch, see `priorGradients`. */
export interface PriorGradients {
  readonly grads: Record<string, tf.Tensor>;
  readonly loss: number;
  readonly lfLoss: number;
  /** 0 for an LF-only batch. */
  readonly hfLoss: number;
}

/**
 * Gradient of `weight` × (the batch's mean loss), accumulated over micro-batches of at most `microBatch` rows so a
 * paper-size batch fits the wasm heap: each micro-batch's mean loss is scaled by its share of the batch, so the sum
 * is the full-batch gradient (the prior has no layer that couples samples). The losses come back scaled the same way.
 */
export function priorGradients(
  prior: TimeVqPrior,
  batch: PriorBatch,
  weight: number,
  microBatch: number,
): PriorGradients {
  if (!Number.isInteger(microBatch) || microBatch < 1) {
    throw new RangeError(`microBatch must be a positive integer, got ${microBatch}`);
  }
  const params = prior.variables();
  const storeName = new Map(Object.entries(params).map(([name, v]) => [v.name, name]));
  const varList = Object.values(params);
  const sums: Record<string, tf.Tensor> = {};
  let loss = 0;
  let lfLoss = 0;
  let hfLoss = 0;
  try {
    for (let start = 0; start < batch.size; start += microBatch) {
      const end = Math.min(batch.size, start + microBatch);
      const share = (weight * (end - start)) / batch.size;
      const part = slicePriorBatch(batch, start, end);
      const { value, grads } = tf.variableGrads(() => {
        const losses = priorLoss(prior, part);
        lfLoss += share * losses.lf.dataSync()[0];
        if (losses.hf !== null) hfLoss += share * losses.hf.dataSync()[0];
        return tf.mul(losses.loss, share);
      }, varList);
      loss += value.dataSync()[0];
      value.dispose();
      for (const [tfName, grad] of Object.entries(grads)) {
        const name = storeName.get(tfName) ?? tfName;
        const before = sums[name];
        if (before === undefined) {
          sums[name] = grad;
        } else {
          sums[name] = tf.add(before, grad);
          tf.dispose([before, grad]);
        }
      }
    }
  } catch (error) {
    tf.dispose(Object.values(sums));
    throw error;
  }
  return { grads: sums, loss, lfLoss, hfLoss };
}

/**
 * Steps and cosine period for `count` training series: epochs·ceil(M/batch) steps, period epochs·(ceil(M/batch)+1)
 * (ess.md §3.6/§4.2, stepped per batch, so the rate stays above 0; §9 allows either). A `maxSteps` cap shrinks the
 * period in proportion, as stage 1 does.
 */
export function priorSchedule(
  training: Pick<PriorTrainingConfig, 'epochs' | 'batchSize' | 'maxSteps'>,
  count: number,
): { totalSteps: number; period: number } {
  const batch = Math.min(training.batchSize, count);
  const fullSteps = training.epochs * batchesPerEpoch(count, batch);
  const fullPeriod = essCosinePeriod(training.epochs, count, batch);
  if (training.maxSteps === null || training.maxSteps >= fullSteps)
    return { totalSteps: fullSteps, period: fullPeriod };
  return { totalSteps: training.maxSteps, period: (fullPeriod * training.maxSteps) / fullSteps };
}

/** The prior's optimiser: its state is what in-training checkpoints save; the caller disposes it. */
export interface PriorOptimizer {
  apply(grads: Readonly<Record<string, tf.Tensor>>, learningRate: number): void;
  stateVariables(): Record<string, tf.Variable>;
  dispose(): void;
}

export interface TrainPriorResult extends TrainLoopResult {
  readonly optimizer: PriorOptimizer;
}

/**
 * One AdamW over both priors when they train in step, else one per prior: AdamW's bias correction counts updates,
 * and the HF prior's are a k-th of the LF prior's. The HF one's step count checkpoints as `adamw/hf-step`.
 */
function priorOptimizer(prior: TimeVqPrior, weightDecay: number, lfStepsPerHfStep: number): PriorOptimizer {
  if (lfStepsPerHfStep === 1) return new AdamW(prior.variables(), { weightDecay });
  const lf = new AdamW(prior.lf.store.params(), { weightDecay });
  const hf = new AdamW(prior.hf.store.params(), { weightDecay });
  const hfNames = new Set(Object.keys(prior.hf.store.params()));
  return {
    apply(grads, learningRate) {
      const entries = Object.entries(grads);
      lf.apply(Object.fromEntries(entries.filter(([name]) => !hfNames.has(name))), learningRate);
      const hfGrads = entries.filter(([name]) => hfNames.has(name));
      // Without gradients AdamW would still count an update.
      if (hfGrads.length > 0) hf.apply(Object.fromEntries(hfGrads), learningRate);
    },
    stateVariables() {
      const { 'adamw/step': hfStep, ...hfMoments } = hf.stateVariables();
      return { ...lf.stateVariables(), ...hfMoments, 'adamw/hf-step': hfStep };
    },
    dispose() {
      lf.dispose();
      hf.dispose();
    },
  };
}

function rowMismatch(data: PriorTrainingSet): Error {
  const count = data.labels.length;
  return new Error(
    `token logits hold ${data.lfLogits.shape[0]}/${data.hfLogits.shape[0]} rows for ${count} labels`,
  );
}

interface PriorStepContext {
  readonly prior: TimeVqPrior;
  readonly data: PriorTrainingSet;
  readonly training: PriorTrainingConfig;
  readonly classDropout: number;
  readonly rng: SeededRng;
  readonly optimizer: PriorOptimizer;
  readonly microBatch: number;
  /** LF steps per HF step. */
  readonly ratio: number;
  readonly batches: Iterator<number[]>;
}

/** One training step: draws its batch (HF rows every `ratio`-th step), computes on the pool if any, updates. */
function priorStepper(
  ctx: PriorStepContext,
  pool: () => ReplicaPool | undefined,
): (index: number, learningRate: number) => Promise<StepMetrics> {
  const { prior, data, training, optimizer, microBatch } = ctx;
  const params = prior.variables();
  // LF-only steps report the last HF loss, so `loss` stays the mean of the two branches' latest losses.
  let lastHfLoss: number | null = null;
  const metrics = (batch: PriorBatch, lfLoss: number, hfLoss: number): StepMetrics => {
    if (trainsHf(batch)) lastHfLoss = hfLoss;
    // A run resumed between HF steps has none yet.
    if (lastHfLoss === null) return { loss: lfLoss, lfLoss };
    return { loss: (lfLoss + lastHfLoss) / 2, lfLoss, hfLoss: lastHfLoss };
  };
  return async (index, learningRate) => {
    const rows = ctx.batches.next().value as number[];
    const stepRng = ctx.rng.fork(`step-${index}`);
    const withHf = index % ctx.ratio === 0;
    const batch = drawPriorBatch(prior, data, rows, training, ctx.classDropout, stepRng, withHf);
    const replicas = pool();
    if (replicas !== undefined) {
      const shards = splitRows(batch.size, replicas.replicas).map(([start, end]) => ({
        kind: 'prior' as const,
        batch: slicePriorBatch(batch, start, end),
        weight: (end - start) / batch.size,
        microBatch,
      }));
      const { grads, report } = await replicas.step(shards);
      applyHostGradients(optimizer, params, grads, learningRate);
      return metrics(batch, report[1], report[2]);
    }
    const { grads, lfLoss, hfLoss } = priorGradients(prior, batch, 1, microBatch);
    try {
      optimizer.apply(grads, learningRate);
      return metrics(batch, lfLoss, hfLoss);
    } finally {
      tf.dispose(Object.values(grads));
    }
  };
}

/**
 * Trains both priors (see `PriorTrainingConfig.lfStepsPerHfStep`) with AdamW and the per-batch cosine schedule of
 * `priorSchedule`. The returned optimizer holds the moments (for resuming); the caller disposes it.
 */
export async function trainPrior(
  prior: TimeVqPrior,
  data: PriorTrainingSet,
  options: TrainPriorOptions,
): Promise<TrainPriorResult> {
  const { training, classDropout, rng } = options;
  const count = data.labels.length;
  if (data.lfLogits.shape[0] !== count || data.hfLogits.shape[0] !== count) throw rowMismatch(data);
  const params = prior.variables();
  const ratio = training.lfStepsPerHfStep;
  if (!Number.isInteger(ratio) || ratio < 1) {
    throw new RangeError(`lfStepsPerHfStep must be a positive integer, got ${ratio}`);
  }
  const optimizer = priorOptimizer(prior, training.weightDecay, ratio);
  const { totalSteps, period } = priorSchedule(training, count);
  const batchSize = Math.min(training.batchSize, count);
  const microBatch = Math.min(options.parallel?.microBatch ?? batchSize, batchSize);
  // The prior's rows are independent, so micro-batches accumulate on a thread; replicas are only the cores given.
  const replicas = Math.min(batchSize, replicaCount({ replicas: options.parallel?.replicas }, batchSize));
  const resume = modelCheckpointHooks(options.checkpoints, params, optimizer, totalSteps);
  // Batches by (key, step) and per-step noise from `step-<i>`: a resumed run continues the same stream.
  const batches = shuffledBatches(
    count,
    Math.min(training.batchSize, count),
    rng.fork('batches'),
    resume.startStep,
  );

  let pool: ReplicaPool | undefined;
  const step = priorStepper(
    { prior, data, training, classDropout, rng, optimizer, microBatch, ratio, batches },
    () => pool,
  );

  try {
    if (replicas > 1) {
      pool = await ReplicaPool.start({
        replicas,
        task: { kind: 'prior', model: serializePrior(prior) },
        params,
        buffers: {},
        reportLength: 3,
      });
    }
    const result = await trainLoop({
      totalSteps,
      learningRate: (i) => cosineLearningRate(i, training.learningRate, period),
      step,
      onProgress: options.onProgress,
      progressEvery: options.progressEvery,
      signal: options.signal,
      maxDurationMs: training.maxSeconds === null ? undefined : training.maxSeconds * 1000,
      startStep: resume.startStep,
      checkpoint: resume.checkpoint,
      label: `prior training (batch ${Math.min(training.batchSize, count)})`,
    });
    return { ...result, optimizer };
  } catch (error) {
    optimizer.dispose();
    throw error;
  } finally {
    await pool?.close();
  }
}
