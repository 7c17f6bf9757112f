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
  checkpointHooks,
  cosineLearningRate,
  discardStatUpdates,
  essCosinePeriod,
  gatherRows,
  prefixed,
  shuffledBatches,
  trainLoop,
} from '../training';
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
}

/** Training series, row-major [N, C, L], already scaled (ess.md §2). */
export interface SeriesBatchSource {
  readonly values: Float32Array;
  readonly count: number;
}

const LOSS_KEYS: ReadonlyArray<keyof Stage1Losses> = [
  'total',
  'lfTimeMse',
  'hfTimeL1',
  'lfFreqMse',
  'hfFreqMse',
  'lfCommitment',
  'hfCommitment',
];

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
  const paramList = Object.values(params);
  const optimizer = new AdamW(params, { weightDecay: config.weightDecay });
  let resume: ReturnType<typeof checkpointHooks>;
  try {
    resume = checkpointHooks(
      options.checkpoints,
      { ...prefixed(model.store.all(), 'model/'), ...optimizer.stateVariables() },
      schedule.totalSteps,
    );
  } catch (error) {
    optimizer.dispose();
    throw error;
  }
  // The batch order depends only on the key and the step, so a resumed run draws what the uninterrupted one would.
  const batches = shuffledBatches(
    data.count,
    Math.min(config.batchSize, data.count),
    options.rng.fork('batches'),
    resume.startStep,
  );
  const k = config.codebookSize;
  const step = (_: number, learningRate: number): StepMetrics => {
    const indices = batches.next().value as number[];
    const x = gatherRows(data.values, [spec.channels, spec.length], indices) as tf.Tensor3D;
    const updates: StatUpdate[] = [];
    let report: tf.Tensor | undefined;
    try {
      const { value, grads } = tf.variableGrads(() => {
        const out = model.forward(x, { training: true, updates });
        // One small tensor for every metric, so the step costs a single read-back.
        report = tf.keep(
          tf.concat([tf.stack(LOSS_KEYS.map((key) => out.losses[key])), out.counts.lf, out.counts.hf]),
        );
        return out.losses.total;
      }, paramList);
      const named: Record<string, tf.Tensor> = {};
      for (const [name, variable] of Object.entries(params)) named[name] = grads[variable.name];
      optimizer.apply(named, learningRate);
      tf.dispose([value, ...Object.values(grads)]);
      applyStatUpdates(updates);
      const r = (report as tf.Tensor).dataSync();
      const metrics: Record<string, number> = {};
      LOSS_KEYS.forEach((key, i) => (metrics[key] = r[i]));
      const lfCounts = r.subarray(LOSS_KEYS.length, LOSS_KEYS.length + k);
      const hfCounts = r.subarray(LOSS_KEYS.length + k);
      metrics.lfUsage = lfCounts.filter((c) => c > 0).length;
      metrics.hfUsage = hfCounts.filter((c) => c > 0).length;
      metrics.lfPerplexity = perplexity(lfCounts);
      metrics.hfPerplexity = perplexity(hfCounts);
      return metrics;
    } finally {
      discardStatUpdates(updates);
      report?.dispose();
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
  }
}
