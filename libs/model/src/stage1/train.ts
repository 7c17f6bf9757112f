import * as tf from '@tensorflow/tfjs-core';
import { type SeededRng } from '@maskgen/tensor';
import {
  AdamW,
  type StatUpdate,
  type StepMetrics,
  type TrainLoopResult,
  type TrainProgress,
  applyStatUpdates,
  type TrainingCheckpoints,
  batchesPerEpoch,
  cosineLearningRate,
  discardStatUpdates,
  essCosinePeriod,
  gatherRows,
  modelCheckpointHooks,
  shuffledBatches,
  trainLoop,
} from '../training';
import {
  ReplicaPool,
  type TrainParallelism,
  applyHostGradients,
  bufferVariables,
  replicaCount,
  splitRows,
} from '../parallel/pool';
import { type Stage1Config } from './config';
import { type Stage1Losses, type TimeVQVAE } from './model';
import { perplexity } from './quantizer';

/** Optimiser steps and cosine period of a stage-1 run on `trainCount` series. */
export interface Stage1Schedule {
  readonly totalSteps: number;
  readonly stepsPerEpoch: number;
  readonly period: number;
}

/**
 * epochs·ceil(N/batch) steps with the spec's period epochs·(ceil(N/batch) + 1) (ess.md §3.6: stepped per batch, so
 * the rate ends above 0; §9 notes the released loop reaches 0 — we keep §3.6). A `maxSteps` cap shrinks the
 * period in proportion, so a capped run still follows the whole cosine shape.
 */
export function stage1Schedule(config: Stage1Config, trainCount: number): Stage1Schedule {
  const batch = Math.min(config.batchSize, trainCount);
  const stepsPerEpoch = batchesPerEpoch(trainCount, batch);
  const fullSteps = config.epochs * stepsPerEpoch;
  const fullPeriod = essCosinePeriod(config.epochs, trainCount, batch);
  if (config.maxSteps === undefined || config.maxSteps >= fullSteps) {
    return { totalSteps: fullSteps, stepsPerEpoch, period: fullPeriod };
  }
  return { totalSteps: config.maxSteps, stepsPerEpoch, period: (fullPeriod * config.maxSteps) / fullSteps };
}

export interface Stage1TrainOptions {
  /** Shuffling stream; the same key gives the same batch order. */
  readonly rng: SeededRng;
  readonly onProgress?: (progress: TrainProgress) => void | Promise<void>;
  readonly progressEvery?: number;
  readonly signal?: AbortSignal;
  readonly maxDurationMs?: number;
  /** In-training checkpoints and the state to resume from. */
  readonly checkpoints?: TrainingCheckpoints;
  /** Data parallelism and micro-batching; without it the step runs on this thread over the whole batch. */
  readonly parallel?: TrainParallelism;
}

/** Training series, row-major [N, C, L], already scaled (ess.md §2). */
export interface SeriesBatchSource {
  readonly values: Float32Array;
  readonly count: number;
}

/** The losses a step reports, in the order of its metrics vector. */
export const STAGE1_LOSS_KEYS: ReadonlyArray<keyof Stage1Losses> = [
  'total',
  'lfTimeMse',
  'hfTimeL1',
  'lfFreqMse',
  'hfFreqMse',
  'lfCommitment',
  'hfCommitment',
];

/** A step's metrics from its report: the losses, then per band the codes used and the batch perplexity. */
function stage1StepMetrics(r: ArrayLike<number>, k: number): StepMetrics {
  const metrics: Record<string, number> = {};
  STAGE1_LOSS_KEYS.forEach((key, i) => (metrics[key] = r[i]));
  const lfCounts = Array.from(r).slice(STAGE1_LOSS_KEYS.length, STAGE1_LOSS_KEYS.length + k);
  const hfCounts = Array.from(r).slice(STAGE1_LOSS_KEYS.length + k, STAGE1_LOSS_KEYS.length + 2 * k);
  metrics.lfUsage = lfCounts.filter((c) => c > 0).length;
  metrics.hfUsage = hfCounts.filter((c) => c > 0).length;
  metrics.lfPerplexity = perplexity(lfCounts);
  metrics.hfPerplexity = perplexity(hfCounts);
  return metrics;
}

/** One optimiser step on this thread over the batch `x`; returns the step's report (losses, code counts). */
function localStage1Step(
  model: TimeVQVAE,
  x: tf.Tensor3D,
  optimizer: AdamW,
  learningRate: number,
): Float32Array {
  const params = model.store.params();
  const updates: StatUpdate[] = [];
  let report: tf.Tensor | undefined;
  try {
    const { value, grads } = tf.variableGrads(() => {
      const out = model.forward(x, { training: true, updates });
      // One small tensor for every metric, so the step costs a single read-back.
      report = tf.keep(
        tf.concat([tf.stack(STAGE1_LOSS_KEYS.map((key) => out.losses[key])), out.counts.lf, out.counts.hf]),
      );
      return out.losses.total;
    }, Object.values(params));
    const named: Record<string, tf.Tensor> = {};
    for (const [name, variable] of Object.entries(params)) named[name] = grads[variable.name];
    optimizer.apply(named, learningRate);
    tf.dispose([value, ...Object.values(grads)]);
    applyStatUpdates(updates);
    return (report as tf.Tensor).dataSync() as Float32Array;
  } finally {
    discardStatUpdates(updates);
    report?.dispose();
  }
}

/**
 * Trains a model in place with AdamW + cosine schedule. Metrics per step: the losses, and per band the codes
 * used in the batch (`lfUsage`, `hfUsage`) and the batch perplexity (`lfPerplexity`, `hfPerplexity`).
 */
export async function trainStage1(
  model: TimeVQVAE,
  data: SeriesBatchSource,
  options: Stage1TrainOptions,
): Promise<TrainLoopResult & { readonly schedule: Stage1Schedule }> {
  const { config, spec } = model;
  if (data.values.length !== data.count * spec.channels * spec.length || data.count < 1) {
    throw new RangeError(`expected ${data.count} series of [${spec.channels}, ${spec.length}] values`);
  }
  const schedule = stage1Schedule(config, data.count);
  const params = model.store.params();
  const optimizer = new AdamW(params, { weightDecay: config.weightDecay });
  const resume = modelCheckpointHooks(options.checkpoints, model.store.all(), optimizer, schedule.totalSteps);
  // The batch order depends only on the key and the step, so a resumed run draws what the uninterrupted one would.
  const batches = shuffledBatches(
    data.count,
    Math.min(config.batchSize, data.count),
    options.rng.fork('batches'),
    resume.startStep,
  );
  const k = config.codebookSize;
  const stepMetrics = (r: ArrayLike<number>): StepMetrics => stage1StepMetrics(r, k);
  const batchSize = Math.min(config.batchSize, data.count);
  // BatchNorm couples the rows of a batch, so micro-batches cannot run one after another on a thread and still give
  // the full-batch step: each micro-batch is a replica thread instead (with its own wasm heap), synchronised per layer.
  const replicas = Math.min(batchSize, replicaCount(options.parallel, batchSize));
  let pool: ReplicaPool | undefined;
  if (replicas > 1) {
    try {
      pool = await ReplicaPool.start({
        replicas,
        task: { kind: 'stage1', model: model.serialize(), values: data.values },
        params,
        buffers: bufferVariables(model.store.all(), params),
        reportLength: STAGE1_LOSS_KEYS.length + 2 * k,
      });
    } catch (error) {
      optimizer.dispose();
      throw error;
    }
  }
  const parallelStep = async (replicaPool: ReplicaPool, learningRate: number): Promise<StepMetrics> => {
    const indices = batches.next().value as number[];
    const shards = splitRows(indices.length, replicaPool.replicas).map(([start, end]) => ({
      kind: 'stage1' as const,
      indices: indices.slice(start, end),
      weight: (end - start) / indices.length,
    }));
    const { grads, report } = await replicaPool.step(shards);
    applyHostGradients(optimizer, params, grads, learningRate);
    replicaPool.loadBuffers();
    return stepMetrics(report);
  };
  const step = (_: number, learningRate: number): StepMetrics | Promise<StepMetrics> => {
    if (pool !== undefined) return parallelStep(pool, learningRate);
    const x = gatherRows(data.values, [spec.channels, spec.length], batches.next().value as number[]);
    try {
      return stepMetrics(localStage1Step(model, x as tf.Tensor3D, optimizer, learningRate));
    } finally {
      x.dispose();
    }
  };
  try {
    const result = await trainLoop({
      totalSteps: schedule.totalSteps,
      learningRate: (s) => cosineLearningRate(s, config.learningRate, schedule.period),
      step,
      onProgress: options.onProgress,
      progressEvery: options.progressEvery,
      signal: options.signal,
      maxDurationMs: options.maxDurationMs,
      startStep: resume.startStep,
      checkpoint: resume.checkpoint,
      label: `stage-1 training (batch ${Math.min(config.batchSize, data.count)}, length ${spec.length})`,
    });
    return { ...result, schedule };
  } finally {
    optimizer.dispose();
    await pool?.close();
  }
}
