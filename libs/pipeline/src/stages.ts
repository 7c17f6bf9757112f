import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { flattenValues } from '@maskgen/data';
import { trainFcn } from '@maskgen/metrics';
import {
  type CriticFalsePositives,
  ESS_DEFAULTS,
  PRIOR_PAPER,
  type SamplingConfig,
  TimeVQVAE,
  TimeVqPrior,
  type TrainParallelism,
  type TrainProgress,
  type TrainingCheckpoints,
  codeDistanceTable,
  criticDistances,
  criticFalsePositives,
  deserializePrior,
  evaluateStage1,
  naiveChunkSize,
  priorSchedule,
  priorShapesFor,
  serializePrior,
  splitTokenLogits,
  stage1Schedule,
  trainPrior,
  trainStage1,
} from '@maskgen/model';
import { SeededRng, serializeCheckpoint } from '@maskgen/tensor';
import {
  PIPELINE_CHECKPOINT_VERSION,
  type PipelineCheckpointInfo,
  type PipelineStage,
  readPipelineCheckpoint,
} from './checkpoints';
import { type PreparedDataset } from './data';
import { PIPELINE_PROFILES, type TrainingProfile } from './profiles';

export interface StageOptions {
  readonly profile: TrainingProfile;
  /** Non-negative integer; the same seed gives the same checkpoint bytes. */
  readonly seed: number;
}

export interface StageProgress {
  readonly stage: PipelineStage;
  /** Steps finished (1-based). */
  readonly step: number;
  readonly totalSteps: number;
  /** Training loss of the last step (critic: mean code distance so far). */
  readonly loss: number;
}

export interface StageContext {
  /**
   * Checked between steps; an abort rejects the stage (no stage checkpoint), after saving an in-training state
   * through `checkpoints` when one is given.
   */
  readonly signal?: AbortSignal;
  /** Awaited, so a caller may persist progress before the next step. */
  readonly onProgress?: (progress: StageProgress) => void | Promise<void>;
  /**
   * In-training states of the stages that train step by step (stage 1 and prior; the critic and classifier
   * stages are short and start over): saved every N steps or S seconds and on abort, and resumed from
   * `resumeFrom` with the same random stream, so the stage ends as an uninterrupted one would.
   */
  readonly checkpoints?: TrainingCheckpoints;
  /**
   * Replica threads for stage 1 and the prior (data-parallel, see @maskgen/model's ReplicaPool); 1 or absent trains
   * on the calling thread. Results are the same for a given count and seed, and within float rounding across counts.
   */
  readonly threads?: number;
}

export interface StageResult {
  readonly checkpoint: Uint8Array;
  readonly metrics: Record<string, number>;
}

/** Raw 20 % corruption used by the critic calibration (issue #7's acceptance check). */
export const CRITIC_REPLACE_FRACTION = 0.2;
export const CRITIC_CHECKPOINT_KIND = 'maskgen-critic';

const PROGRESS_UPDATES = 50;

/**
 * What every stage does first: refuse bad options and an already aborted signal before any work.
 * Returns the stage's clock (seconds since the start), for its `seconds` metric.
 */
function startStage(options: StageOptions, ctx: StageContext): () => number {
  if (!(options.profile in PIPELINE_PROFILES)) throw new RangeError(`unknown profile '${options.profile}'`);
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) {
    throw new RangeError(`seed must be a non-negative integer, got ${options.seed}`);
  }
  ctx.signal?.throwIfAborted();
  const start = performance.now();
  return () => (performance.now() - start) / 1000;
}

/**
 * The hyperparameters a stage's checkpoint depends on (its own and its inputs' under the profile), as a short hash:
 * a cached checkpoint trained under other settings of the same profile name is retrained, not reused.
 */
export function stageConfigHash(stage: PipelineStage, profile: TrainingProfile): string {
  const p = PIPELINE_PROFILES[profile];
  const config = {
    stage1: { stage1: p.stage1 },
    prior: { stage1: p.stage1, prior: p.prior },
    critic: { stage1: p.stage1, prior: p.prior, criticGrids: p.criticGrids },
    classifier: { classifier: p.classifier },
  }[stage];
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}

function info(
  stage: PipelineStage,
  data: PreparedDataset,
  options: StageOptions,
  metrics: Record<string, number>,
): { pipeline: PipelineCheckpointInfo } {
  // Wall time stays out of the checkpoint so the same seed gives the same bytes.
  const { seconds: _wallTime, ...stored } = metrics;
  return {
    pipeline: {
      stage,
      version: PIPELINE_CHECKPOINT_VERSION,
      dataset: data.name,
      profile: options.profile,
      seed: options.seed,
      config: stageConfigHash(stage, options.profile),
      length: data.length,
      outputLength: data.outputLength,
      classNames: data.classNames,
      scaling: data.scaling,
      metrics: stored,
    },
  };
}

/** The abort signal and about PROGRESS_UPDATES progress reports, as the training loops take them. */
function trainingHooks(
  stage: PipelineStage,
  ctx: StageContext,
  lossKey: string,
  totalSteps: number,
): {
  signal: AbortSignal | undefined;
  progressEvery: number;
  onProgress: ((p: TrainProgress) => Promise<void>) | undefined;
} {
  const report = ctx.onProgress;
  return {
    signal: ctx.signal,
    progressEvery: Math.max(1, Math.round(totalSteps / PROGRESS_UPDATES)),
    onProgress:
      report === undefined
        ? undefined
        : async (p) => {
            await report({
              stage,
              step: p.step,
              totalSteps: p.totalSteps,
              loss: p.metrics[lossKey] ?? Number.NaN,
            });
          },
  };
}

/** Replica threads and micro-batch of a training stage: the worker's threads where the profile uses them. */
function parallelism(options: StageOptions, ctx: StageContext, stage: 'stage1' | 'prior'): TrainParallelism {
  const profile = PIPELINE_PROFILES[options.profile];
  return {
    replicas: profile.dataParallel ? ctx.threads : 1,
    microBatch: profile.microBatch?.[stage],
  };
}

function rejectIfAborted(signal: AbortSignal | undefined, stopReason?: string): void {
  signal?.throwIfAborted();
  if (stopReason === 'aborted') throw new Error('stage aborted');
}

/** The model a stage-1 checkpoint holds, checked against the dataset it is used with. */
function loadStage1(bytes: Uint8Array, data: PreparedDataset): TimeVQVAE {
  const { info: stored } = readPipelineCheckpoint(bytes, 'stage1');
  if (stored.length !== data.length) {
    throw new RangeError(
      `stage-1 checkpoint is for length ${stored.length}, ${data.name} has ${data.length}`,
    );
  }
  return TimeVQVAE.deserialize(bytes);
}

/** Stage 1 (ess.md §3): trains the TimeVQVAE tokenizer on the scaled train split. Metrics: test MSE, steps, seconds. */
export async function trainStage1Stage(
  data: PreparedDataset,
  _inputs: Record<string, never>,
  options: StageOptions,
  ctx: StageContext = {},
): Promise<StageResult> {
  const elapsedSeconds = startStage(options, ctx);
  const config = PIPELINE_PROFILES[options.profile].stage1;
  const rng = new SeededRng(options.seed).fork('stage1');
  const model = TimeVQVAE.create(config, { length: data.length, channels: 1 }, rng.fork('model'));
  try {
    const train = { values: flattenValues(data.train), count: data.train.values.length };
    const { totalSteps } = stage1Schedule(config, train.count);
    const result = await trainStage1(model, train, {
      rng: rng.fork('train'),
      checkpoints: ctx.checkpoints,
      parallel: parallelism(options, ctx, 'stage1'),
      ...trainingHooks('stage1', ctx, 'total', totalSteps),
    });
    rejectIfAborted(ctx.signal, result.stopReason);
    const evaluation = evaluateStage1(model, {
      values: flattenValues(data.test),
      count: data.test.values.length,
    });
    const metrics = {
      steps: result.stepsDone,
      loss: result.lastMetrics?.total ?? Number.NaN,
      testMse: evaluation.mse,
      lfPerplexity: evaluation.perplexity.lf,
      hfPerplexity: evaluation.perplexity.hf,
      seconds: elapsedSeconds(),
    };
    return { checkpoint: model.serialize(info('stage1', data, options, metrics)), metrics };
  } finally {
    model.dispose();
  }
}

/** Stage 2 (ess.md §4): trains the LF and HF priors on the tokens of a frozen stage 1. */
export async function trainPriorStage(
  data: PreparedDataset,
  inputs: { readonly stage1: Uint8Array },
  options: StageOptions,
  ctx: StageContext = {},
): Promise<StageResult> {
  const elapsedSeconds = startStage(options, ctx);
  const config = PIPELINE_PROFILES[options.profile].prior;
  const rng = new SeededRng(options.seed).fork('prior');
  const stage1 = loadStage1(inputs.stage1, data);
  let prior: TimeVqPrior | undefined;
  let logits: { lf: tf.Tensor3D; hf: tf.Tensor3D } | undefined;
  try {
    const count = data.train.values.length;
    logits = splitTokenLogits(
      stage1,
      flattenValues(data.train),
      count,
      [1, data.length],
      config.training.tokenTemperature,
    );
    prior = new TimeVqPrior(
      priorShapesFor(stage1, data.classNames.length),
      config.network,
      { lf: stage1.codebook('lf'), hf: stage1.codebook('hf') },
      rng.fork('init'),
    );
    const { totalSteps } = priorSchedule(config.training, count);
    const result = await trainPrior(
      prior,
      { lfLogits: logits.lf, hfLogits: logits.hf, labels: data.train.labels },
      {
        training: config.training,
        classDropout: config.network.classDropout,
        rng: rng.fork('train'),
        checkpoints: ctx.checkpoints,
        parallel: parallelism(options, ctx, 'prior'),
        ...trainingHooks('prior', ctx, 'loss', totalSteps),
      },
    );
    result.optimizer.dispose();
    rejectIfAborted(ctx.signal, result.stopReason);
    const metrics = {
      steps: result.stepsDone,
      loss: result.lastMetrics?.loss ?? Number.NaN,
      lfLoss: result.lastMetrics?.lfLoss ?? Number.NaN,
      hfLoss: result.lastMetrics?.hfLoss ?? Number.NaN,
      seconds: elapsedSeconds(),
    };
    const checkpoint = serializePrior(prior, {
      ...info('prior', data, options, metrics),
      sampling: config.sampling,
    });
    return { checkpoint, metrics };
  } finally {
    prior?.dispose();
    if (logits !== undefined) tf.dispose([logits.lf, logits.hf]);
    stage1.dispose();
  }
}

/** What the critic checkpoint stores (meta only: the self-Token-Critic is the prior itself, ess.md §5.2). */
export interface CriticCalibration {
  /** Mean raw LF code distance ‖e_s − e_pred‖² on real test token grids … */
  readonly realDistance: number;
  /** … and on the same grids with CRITIC_REPLACE_FRACTION of the tokens replaced by other ids. */
  readonly corruptedDistance: number;
  /**
   * The critic's false positives on the real grids: the share ESS at the model's defaults would re-mask
   * (criticFalsePositiveRate), their t*, and the share it disagrees with. Absent from models calibrated before.
   */
  readonly falsePositives?: CriticFalsePositives;
  readonly grids: number;
  readonly replaceFraction: number;
  /** ESS defaults recorded with the model (ess.md §6). */
  readonly ess: typeof ESS_DEFAULTS;
}

/** Real LF token grids with CRITIC_REPLACE_FRACTION of each grid's tokens replaced by another id, seeded per grid. */
function corruptGrids(real: Int32Array, grids: number, n: number, k: number, rng: SeededRng): Int32Array {
  const corrupted = real.slice();
  const replace = Math.round(CRITIC_REPLACE_FRACTION * n);
  for (let g = 0; g < grids; g++) {
    const stream = rng.fork(`grid-${g}`);
    const positions = stream.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, replace);
    for (const p of positions) {
      const old = corrupted[g * n + p];
      corrupted[g * n + p] = (old + stream.int(1, k)) % k; // any id but the old one
    }
  }
  return corrupted;
}

const CRITIC_GRIDS_PER_CALL = 8;

/** Raw critic distances [grids, N] of the grids `ids`, reporting their running mean as the stage's "loss". */
async function gridCriticDistances(
  critic: Parameters<typeof criticDistances>[0],
  ids: Int32Array,
  grids: number,
  n: number,
  progress: { step: number; readonly totalSteps: number },
  ctx: StageContext,
): Promise<Float64Array> {
  const all = new Float64Array(grids * n);
  let sum = 0;
  for (let g = 0; g < grids; g += CRITIC_GRIDS_PER_CALL) {
    const b = Math.min(CRITIC_GRIDS_PER_CALL, grids - g);
    const d = await criticDistances(critic, ids.subarray(g * n, (g + b) * n), b, null);
    all.set(d, g * n);
    sum += d.reduce((s, v) => s + v, 0);
    progress.step++;
    const { step, totalSteps } = progress;
    await ctx.onProgress?.({ stage: 'critic', step, totalSteps, loss: sum / ((g + b) * n) });
  }
  return all;
}

/**
 * The self-Token-Critic needs no training. This stage records how well it separates real token grids from
 * corrupted ones (unconditional LF critic on the first `criticGrids` test series' nearest-code grids vs the same
 * grids with 20 % of positions replaced by a different random id) and the ESS defaults, in a small checkpoint.
 */
export async function calibrateCriticStage(
  data: PreparedDataset,
  inputs: { readonly stage1: Uint8Array; readonly prior: Uint8Array },
  options: StageOptions,
  ctx: StageContext = {},
): Promise<StageResult> {
  const elapsedSeconds = startStage(options, ctx);
  const rng = new SeededRng(options.seed).fork('critic');
  const stage1 = loadStage1(inputs.stage1, data);
  readPipelineCheckpoint(inputs.prior, 'prior');
  const { prior, meta: priorMeta } = deserializePrior(inputs.prior);
  try {
    const grids = Math.min(PIPELINE_PROFILES[options.profile].criticGrids, data.test.values.length);
    const n = prior.shapes.lfTokens;
    const k = prior.shapes.lfCodebookSize;
    const x = tf.tensor3d(flattenValues(data.test).subarray(0, grids * data.length), [grids, 1, data.length]);
    const tokens = stage1.encode(x);
    const real = tokens.lf.dataSync() as Int32Array;
    tf.dispose([x, tokens.lf, tokens.hf]);
    const corrupted = corruptGrids(real, grids, n, k, rng);
    const critic = {
      prior: prior.lf,
      distances: codeDistanceTable(stage1.codebook('lf')),
      codeDim: stage1.codebook('lf').shape[1],
      rowsPerPass: 2 * naiveChunkSize(prior),
      signal: ctx.signal,
    };
    const progress = { step: 0, totalSteps: 2 * Math.ceil(grids / CRITIC_GRIDS_PER_CALL) };
    const criticDistancesOf = (ids: Int32Array) => gridCriticDistances(critic, ids, grids, n, progress, ctx);
    const mean = (values: Float64Array): number => values.reduce((s, v) => s + v, 0) / values.length;
    const realDistances = await criticDistancesOf(real);
    const realDistance = mean(realDistances);
    const corruptedDistance = mean(await criticDistancesOf(corrupted));
    // What ESS (the model's defaults, the prior's decoding steps) would re-mask of real grids (issue 19 item 5).
    const sampling = {
      ...PRIOR_PAPER.sampling,
      ...(priorMeta.sampling as Partial<SamplingConfig> | undefined),
    };
    const falsePositives = await criticFalsePositives(critic, real, grids, realDistances, {
      steps: sampling.steps,
      windowRate: ESS_DEFAULTS.windowRate,
      threshold: ESS_DEFAULTS.threshold,
    });
    const metrics = {
      criticRealDistance: realDistance,
      criticCorruptedDistance: corruptedDistance,
      criticFalsePositiveRate: falsePositives.remaskedShare,
      criticRealTStar: falsePositives.tStar,
      criticFlaggedShare: falsePositives.flaggedShare,
      criticGrids: grids,
      seconds: elapsedSeconds(),
    };
    const calibration: CriticCalibration = {
      realDistance,
      corruptedDistance,
      falsePositives,
      grids,
      replaceFraction: CRITIC_REPLACE_FRACTION,
      ess: ESS_DEFAULTS,
    };
    const checkpoint = serializeCheckpoint(
      {},
      { ...info('critic', data, options, metrics), kind: CRITIC_CHECKPOINT_KIND, calibration },
    );
    return { checkpoint, metrics };
  } finally {
    prior.dispose();
    stage1.dispose();
  }
}

/** The evaluation FCN of ess.md §7 on the scaled train split (after the STFT round trip). Metric: testAccuracy. */
export async function trainClassifierStage(
  data: PreparedDataset,
  _inputs: Record<string, never>,
  options: StageOptions,
  ctx: StageContext = {},
): Promise<StageResult> {
  const elapsedSeconds = startStage(options, ctx);
  const config = PIPELINE_PROFILES[options.profile].classifier;
  const steps = config.epochs * Math.ceil(data.evalTrain.values.length / config.batchSize);
  const { model, training, testAccuracy } = await trainFcn(data.evalTrain, {
    config,
    seed: options.seed,
    classes: data.classNames.length,
    test: data.evalTest,
    ...trainingHooks('classifier', ctx, 'loss', steps),
  });
  try {
    rejectIfAborted(ctx.signal, training.stopReason);
    const metrics = {
      steps: training.stepsDone,
      loss: training.lastMetrics?.loss ?? Number.NaN,
      testAccuracy: testAccuracy ?? Number.NaN,
      seconds: elapsedSeconds(),
    };
    return { checkpoint: model.serialize(info('classifier', data, options, metrics)), metrics };
  } finally {
    model.dispose();
  }
}
