import type * as tf from '@tensorflow/tfjs-core';
import { type ScalingParams, inverseScaleSeries } from '@maskgen/data';
import { FcnClassifier, type SeriesFeaturizer } from '@maskgen/metrics';
import {
  type BranchCritic,
  type EssConfig,
  type SamplerMethod as ModelSamplerMethod,
  type SamplerResult,
  type SamplingConfig,
  TimeVQVAE,
  type TimeVqPrior,
  deserializePrior,
  checkSamplingConfig,
  generateSamples,
} from '@maskgen/model';
import { type InferenceEngine, type PreparedPrior, createInferenceEngine } from '@maskgen/inference';
import type {
  EngineProvenance,
  SampleCriticResult,
  SampleCriticSummary,
  SamplerMethod,
  TokenGridArrays,
} from '@maskgen/contracts';
import { SeededRng } from '@maskgen/tensor';
import { type PipelineCheckpointInfo, readPipelineCheckpoint } from './checkpoints';
import { type CriticCalibration } from './stages';

// libs/model names its sampler methods without the wire contracts; they are the API's (SAMPLER_METHODS), both ways.
true satisfies [SamplerMethod, ModelSamplerMethod] extends [ModelSamplerMethod, SamplerMethod] ? true : false;

export interface PipelineCheckpoints {
  readonly stage1: Uint8Array;
  readonly prior: Uint8Array;
  readonly critic?: Uint8Array;
  readonly classifier?: Uint8Array;
}

export interface GenerateOptions {
  readonly method: SamplerMethod;
  readonly count: number;
  /** Class index per sample (0..numClasses−1), or null: unconditional. */
  readonly classes: Int32Array | null;
  /** Non-negative integer; naive and ESS with the same seed start from the same naive LF tokens. */
  readonly seed: number;
  /** ESS parameters (spec defaults, ess.md §6); ignored by 'naive'. */
  readonly ess?: Partial<EssConfig>;
  /** Decoding parameters T, τ, w (spec defaults). */
  readonly sampling?: Partial<SamplingConfig>;
  /** 'naive' only: also score the LF tokens with the critic (N_lf prior passes per sample). Default false. */
  readonly scoreNaive?: boolean;
  /** Bound on tensors alive at once (default 512 MiB); the output does not depend on it. */
  readonly memoryBudgetBytes?: number;
  readonly signal?: AbortSignal;
}

/**
 * Per-token critic view of one branch of one sample, frequency-major [rows · columns]: the contract's grid (scores on
 * the naive tokens s_T `before`, on the output tokens `after`, the re-masked tokens; the last two null for naive),
 * with the raw code distances ‖e_s − e_pred‖² behind the scores.
 */
export type TokenCritic = TokenGridArrays & {
  readonly distancesBefore: Float64Array;
  readonly distancesAfter: Float64Array | null;
};

/** One sample's critic result (libs/contracts): its summary and its grids, HF only where ESS refined it. */
export type SampleCritic = SampleCriticResult<TokenCritic>;

export interface GenerateResult {
  readonly method: SamplerMethod;
  /** Generated series in data units (the dataset's original scale), length `outputLength`. */
  readonly series: Float32Array[];
  /** The same in the scaled units the models and the evaluation classifier work in. */
  readonly scaled: Float32Array[];
  readonly classes: Int32Array | null;
  /** Final token ids per sample, frequency-major: LF [N_lf] and HF [N_hf] (no mask id). */
  readonly tokens: { readonly lf: Int32Array[]; readonly hf: Int32Array[] };
  /** Per sample; null for naive without scoreNaive. */
  readonly critic: SampleCritic[] | null;
  /** LF t* per sample (shared by the request unless ess.perSampleTStar, ess.md §5.3); null for naive. */
  readonly tStar: Int32Array | null;
  /** The ESS settings sampling ran with, defaults applied (runs record them); null for naive. */
  readonly essConfig: EssConfig | null;
  /** Mean raw LF critic code distance over all tokens, on s_T (before) and the output (after). */
  readonly meanCriticDistance: { readonly before: number; readonly after: number } | null;
  readonly priorPasses: { readonly lf: number; readonly hf: number };
  readonly seconds: number;
  /** Which engine produced the result, for the run's provenance. */
  readonly inference: EngineProvenance;
}

export interface PipelineModel {
  readonly dataset: string;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  /** Length of generated series: L (L − 1 for odd L from checkpoints trained before istft took the length). */
  readonly length: number;
  /** Input length L the stage-1 model was built for. */
  readonly inputLength: number;
  readonly scaling: ScalingParams;
  readonly info: PipelineCheckpointInfo;
  /** Present when a classifier checkpoint was given (for evaluateGenerated). */
  readonly classifier: FcnClassifier | null;
  readonly calibration: CriticCalibration | null;
  generate(options: GenerateOptions): Promise<GenerateResult>;
  /** The classifier's inference pass on the model's engine (null without a classifier); prepared on first use. */
  featurizer(): Promise<SeriesFeaturizer | null>;
  /** Frees the tensors and the engine's sessions. */
  dispose(): void;
}

export interface LoadPipelineOptions {
  /** Runs sampling and the critic; default tfjs (the training library). */
  readonly engine?: InferenceEngine;
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length === 0 ? Number.NaN : sum / values.length;
}

function slice<T extends Float64Array | Uint8Array | Int32Array>(a: T, i: number, n: number): T {
  return a.slice(i * n, (i + 1) * n) as T;
}

/**
 * An engine resource made on first use and kept; a failed attempt is forgotten so the next use tries again.
 * `release` frees it in the background (if it was ever made).
 */
function onDemand<T extends { dispose(): Promise<void> }>(make: () => Promise<T>) {
  let made: Promise<T> | null = null;
  return {
    get(): Promise<T> {
      if (made === null) {
        const attempt = make();
        made = attempt;
        attempt.catch(() => {
          if (made === attempt) made = null;
        });
      }
      return made;
    },
    release(): void {
      void made?.then((m) => m.dispose()).catch(() => undefined);
    },
  };
}

/** Reads the checkpoints' pipeline info (and checks that they belong together) and the critic's calibration. */
function readCheckpointInfo(checkpoints: PipelineCheckpoints): {
  info: PipelineCheckpointInfo;
  calibration: CriticCalibration | null;
} {
  const { info } = readPipelineCheckpoint(checkpoints.stage1, 'stage1');
  const priorInfo = readPipelineCheckpoint(checkpoints.prior, 'prior').info;
  if (priorInfo.dataset !== info.dataset || priorInfo.length !== info.length) {
    throw new RangeError(`prior checkpoint is for ${priorInfo.dataset}, stage 1 for ${info.dataset}`);
  }
  let calibration: CriticCalibration | null = null;
  if (checkpoints.critic !== undefined) {
    const { meta } = readPipelineCheckpoint(checkpoints.critic, 'critic');
    calibration = meta.calibration as CriticCalibration;
  }
  if (checkpoints.classifier !== undefined) readPipelineCheckpoint(checkpoints.classifier, 'classifier');
  return { info, calibration };
}

/** The networks of the checkpoints; what was built is freed when a later one fails. */
function deserializeNetworks(checkpoints: PipelineCheckpoints): {
  stage1: TimeVQVAE;
  prior: TimeVqPrior;
  classifier: FcnClassifier | null;
} {
  const stage1 = TimeVQVAE.deserialize(checkpoints.stage1);
  let prior: TimeVqPrior | undefined;
  try {
    prior = deserializePrior(checkpoints.prior).prior;
    const classifier =
      checkpoints.classifier === undefined ? null : FcnClassifier.deserialize(checkpoints.classifier);
    return { stage1, prior, classifier };
  } catch (error) {
    prior?.dispose();
    stage1.dispose();
    throw error;
  }
}

function checkGenerateOptions(options: GenerateOptions, numClasses: number): void {
  const { count, classes } = options;
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`count must be a positive integer, got ${count}`);
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) {
    throw new RangeError(`seed must be a non-negative integer, got ${options.seed}`);
  }
  if (classes !== null) {
    if (classes.length !== count) throw new RangeError(`${classes.length} classes for ${count} samples`);
    if (classes.some((c) => c < 0 || c >= numClasses)) {
      throw new RangeError(`class indices must be in 0..${numClasses - 1}`);
    }
  }
  checkSamplingConfig(options.sampling ?? {}, { prefix: 'sampling.', partial: true });
}

type TokenShape = { rows: number; columns: number; tokens: number };

/** Sample i's view of a branch's critic scores (after, distancesAfter and remasked only where ESS refined it). */
function tokenCritic(
  shape: TokenShape,
  i: number,
  critic: BranchCritic,
  ess: { readonly remasked: Uint8Array } | null,
): TokenCritic {
  const span = (a: Float64Array) => Float32Array.from(slice(a, i, shape.tokens));
  return {
    rows: shape.rows,
    columns: shape.columns,
    before: span(critic.before),
    after: ess === null ? null : span(critic.after),
    distancesBefore: slice(critic.distancesBefore, i, shape.tokens),
    distancesAfter: ess === null ? null : slice(critic.distancesAfter, i, shape.tokens),
    remasked: ess === null ? null : slice(ess.remasked, i, shape.tokens),
  };
}

/**
 * What the critic says of a sample as a whole, from its LF code distances: the mean and max of its final tokens and,
 * for ESS, the mean before ESS and whether ESS made it worse. The means are rounded to float32 as the samples table
 * stores them, so the flag read back from the table and the run's count of samples made worse agree.
 */
export function criticSummary(
  lf: Pick<TokenCritic, 'distancesBefore' | 'distancesAfter'>,
): SampleCriticSummary {
  const final = lf.distancesAfter ?? lf.distancesBefore;
  const before = Math.fround(mean(lf.distancesBefore));
  const after = lf.distancesAfter === null ? null : Math.fround(mean(lf.distancesAfter));
  return {
    mean: after ?? before,
    max: final.reduce((max, distance) => Math.max(max, distance), -Infinity),
    meanBeforeEss: after === null ? null : before,
    worseUnderEss: after === null ? null : after > before,
  };
}

/**
 * The sampler's critic scores per sample, with the request's t* and mean LF code distances: ESS scores the branches it
 * refines, before and after; naive (scoreNaive) scores LF once, the sampler's own scores.
 */
function samplerCritic(
  out: SamplerResult,
  count: number,
  shapes: { lf: TokenShape; hf: TokenShape },
): Pick<GenerateResult, 'critic' | 'tStar' | 'meanCriticDistance'> {
  const lf = out.critic?.lf;
  if (!lf) return { critic: null, tStar: null, meanCriticDistance: null };
  const hf = out.critic?.hf ?? null;
  const essLf = out.ess?.lf ?? null;
  const essHf = out.ess?.hf ?? null;
  const refinedHf = hf !== null && essHf !== null ? { critic: hf, ess: essHf } : null;
  return {
    critic: Array.from({ length: count }, (_, i) => {
      const lfCritic = tokenCritic(shapes.lf, i, lf, essLf);
      return {
        summary: criticSummary(lfCritic),
        scores: {
          lf: lfCritic,
          hf: refinedHf === null ? null : tokenCritic(shapes.hf, i, refinedHf.critic, refinedHf.ess),
        },
      };
    }),
    tStar: essLf?.tStarPerSample ?? null,
    meanCriticDistance: { before: mean(lf.distancesBefore), after: mean(lf.distancesAfter) },
  };
}

/** What generate works with: the checkpoints' info, stage 1, the codebooks and the prior on the engine. */
interface LoadedNetworks {
  readonly info: PipelineCheckpointInfo;
  readonly numClasses: number;
  readonly stage1: TimeVQVAE;
  readonly codebooks: { readonly lf: tf.Tensor2D; readonly hf: tf.Tensor2D };
  readonly shapes: { readonly lf: TokenShape; readonly hf: TokenShape };
  readonly engine: InferenceEngine;
  readonly priorOnEngine: { get(): Promise<PreparedPrior> };
}

/** Samples, decodes and rescales; the critic scores come from the sampler (samplerCritic). */
async function generateWith(model: LoadedNetworks, request: GenerateOptions): Promise<GenerateResult> {
  const { info, stage1, codebooks, shapes, engine } = model;
  checkGenerateOptions(request, model.numClasses);
  const { count, classes, method } = request;
  const start = performance.now();
  const runner = await model.priorOnEngine.get();
  const out = await generateSamples(
    runner,
    codebooks,
    {
      method,
      count,
      classes,
      sampling: request.sampling,
      ess: request.ess,
      rng: new SeededRng(request.seed),
      scoreNaive: request.scoreNaive === true,
      decode: true,
      memoryBudgetBytes: request.memoryBudgetBytes,
      signal: request.signal,
    },
    stage1,
  );
  // Stage 1 decodes L samples; a legacy checkpoint's outputLength (L − 1) keeps what its classifier expects.
  const scaled = out.series!.values.map((v) =>
    v.length > info.outputLength ? v.slice(0, info.outputLength) : v,
  );
  return {
    method,
    series: scaled.map((s) => inverseScaleSeries(s, info.scaling)),
    scaled,
    classes,
    tokens: {
      lf: Array.from({ length: count }, (_, i) => slice(out.lf, i, shapes.lf.tokens)),
      hf: Array.from({ length: count }, (_, i) => slice(out.hf, i, shapes.hf.tokens)),
    },
    ...samplerCritic(out, count, shapes),
    essConfig: out.essConfig,
    priorPasses: out.priorPasses,
    seconds: (performance.now() - start) / 1000,
    inference: {
      engine: engine.info.engine,
      threads: engine.info.threads,
      device: engine.info.device,
      version: engine.info.version,
      graphHash: runner.graphHash,
    },
  };
}

/**
 * Builds a model from stage checkpoints alone (scaling and class names come from the stage-1 checkpoint's
 * pipeline info). The caller disposes it.
 */
export function loadPipelineModel(
  checkpoints: PipelineCheckpoints,
  options: LoadPipelineOptions = {},
): PipelineModel {
  const { info, calibration } = readCheckpointInfo(checkpoints);
  const { stage1, prior, classifier } = deserializeNetworks(checkpoints);
  const numClasses = info.classNames.length;
  const codebooks = { lf: stage1.codebook('lf'), hf: stage1.codebook('hf') };
  const shapes = { lf: stage1.tokenShape('lf'), hf: stage1.tokenShape('hf') };
  let disposed = false;
  const engine = options.engine ?? createInferenceEngine({ preference: 'tfjs' });
  // Exported on first use: a model loaded only for evaluation never builds sampling sessions.
  const priorOnEngine = onDemand(() => engine.preparePrior(prior));
  const featurizerOnEngine =
    classifier === null ? null : onDemand(() => engine.prepareClassifier(classifier));

  const loaded: LoadedNetworks = { info, numClasses, stage1, codebooks, shapes, engine, priorOnEngine };
  const generate = (request: GenerateOptions): Promise<GenerateResult> =>
    disposed ? Promise.reject(new Error('model is disposed')) : generateWith(loaded, request);

  return {
    dataset: info.dataset,
    numClasses,
    classNames: info.classNames,
    length: info.outputLength,
    inputLength: info.length,
    scaling: info.scaling,
    info,
    classifier,
    calibration,
    generate,
    featurizer: () => {
      if (disposed) return Promise.reject(new Error('model is disposed'));
      return featurizerOnEngine?.get() ?? Promise.resolve(null);
    },
    dispose: () => {
      if (disposed) return;
      disposed = true;
      // Sessions are released in the background; the tensors below go at once.
      priorOnEngine.release();
      featurizerOnEngine?.release();
      classifier?.dispose();
      prior.dispose();
      stage1.dispose();
    },
  };
}
