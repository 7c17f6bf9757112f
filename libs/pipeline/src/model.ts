import { type ScalingParams, inverseScaleSeries } from '@maskgen/data';
import { FcnClassifier, type SeriesFeaturizer } from '@maskgen/metrics';
import {
  type EssConfig,
  type SamplingConfig,
  TimeVQVAE,
  type TimeVqPrior,
  codeDistanceTable,
  criticScores,
  criticDistances,
  deserializePrior,
  generateSamples,
  naiveChunkSize,
} from '@maskgen/model';
import { type InferenceEngine, createInferenceEngine } from '@maskgen/inference';
import type { EngineProvenance } from '@maskgen/contracts';
import { SeededRng } from '@maskgen/tensor';
import { type PipelineCheckpointInfo, readPipelineCheckpoint } from './checkpoints';
import { type CriticCalibration } from './stages';

export interface PipelineCheckpoints {
  readonly stage1: Uint8Array;
  readonly prior: Uint8Array;
  readonly critic?: Uint8Array;
  readonly classifier?: Uint8Array;
}

export interface GenerateOptions {
  readonly method: 'naive' | 'ess';
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

/** Per-token critic view of one branch of one sample; arrays are frequency-major [rows · columns]. */
export interface TokenCritic {
  readonly rows: number;
  readonly columns: number;
  /** Critic scores (softmax over positions of −distance) on the naive tokens s_T. */
  readonly before: Float64Array;
  /** The same on the output tokens; null for naive. */
  readonly after: Float64Array | null;
  /** Raw code distances ‖e_s − e_pred‖² behind `before` / `after`. */
  readonly distancesBefore: Float64Array;
  readonly distancesAfter: Float64Array | null;
  /** 1 where critical reverse sampling re-masked the token; null for naive. */
  readonly remasked: Uint8Array | null;
}

export interface SampleCritic {
  readonly lf: TokenCritic;
  /** Null unless ESS refines HF (applyTo 'lf+hf'). */
  readonly hf: TokenCritic | null;
}

export interface GenerateResult {
  readonly method: 'naive' | 'ess';
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

/**
 * Builds a model from stage checkpoints alone (scaling and class names come from the stage-1 checkpoint's
 * pipeline info). The caller disposes it.
 */
export function loadPipelineModel(
  checkpoints: PipelineCheckpoints,
  options: LoadPipelineOptions = {},
): PipelineModel {
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
  const stage1 = TimeVQVAE.deserialize(checkpoints.stage1);
  let prior: TimeVqPrior | undefined;
  let classifier: FcnClassifier | null = null;
  try {
    prior = deserializePrior(checkpoints.prior).prior;
    if (checkpoints.classifier !== undefined) classifier = FcnClassifier.deserialize(checkpoints.classifier);
  } catch (error) {
    prior?.dispose();
    stage1.dispose();
    throw error;
  }
  const loadedPrior = prior;
  const numClasses = info.classNames.length;
  const codebooks = { lf: stage1.codebook('lf'), hf: stage1.codebook('hf') };
  const lfShape = stage1.tokenShape('lf');
  const hfShape = stage1.tokenShape('hf');
  let disposed = false;
  const engine = options.engine ?? createInferenceEngine({ preference: 'tfjs' });
  // Exported on first use: a model loaded only for evaluation never builds sampling sessions.
  const priorOnEngine = onDemand(() => engine.preparePrior(loadedPrior));
  const loadedClassifier = classifier;
  const featurizerOnEngine =
    loadedClassifier === null ? null : onDemand(() => engine.prepareClassifier(loadedClassifier));

  const generate = async (options: GenerateOptions): Promise<GenerateResult> => {
    if (disposed) throw new Error('model is disposed');
    const { count, classes, method } = options;
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
    const start = performance.now();
    const prior = await priorOnEngine.get();
    const out = await generateSamples(
      prior,
      codebooks,
      {
        method,
        count,
        classes,
        sampling: options.sampling,
        ess: options.ess,
        rng: new SeededRng(options.seed),
        decode: true,
        memoryBudgetBytes: options.memoryBudgetBytes,
        signal: options.signal,
      },
      stage1,
    );
    // Stage 1 decodes L samples; a legacy checkpoint's outputLength (L − 1) keeps what its classifier expects.
    const scaled = out.series!.values.map((v) =>
      v.length > info.outputLength ? v.slice(0, info.outputLength) : v,
    );
    const series = scaled.map((s) => inverseScaleSeries(s, info.scaling));
    let critic: SampleCritic[] | null = null;
    let tStar: Int32Array | null = null;
    let meanCriticDistance: GenerateResult['meanCriticDistance'] = null;
    const view = (
      shape: { rows: number; columns: number; tokens: number },
      i: number,
      c: {
        before: Float64Array;
        after: Float64Array | null;
        dBefore: Float64Array;
        dAfter: Float64Array | null;
      },
      remasked: Uint8Array | null,
    ): TokenCritic => ({
      rows: shape.rows,
      columns: shape.columns,
      before: slice(c.before, i, shape.tokens),
      after: c.after === null ? null : slice(c.after, i, shape.tokens),
      distancesBefore: slice(c.dBefore, i, shape.tokens),
      distancesAfter: c.dAfter === null ? null : slice(c.dAfter, i, shape.tokens),
      remasked: remasked === null ? null : slice(remasked, i, shape.tokens),
    });
    if (method === 'ess') {
      const lf = out.critic!.lf!;
      const hf = out.critic!.hf;
      const essLf = out.ess!.lf!;
      const essHf = out.ess!.hf;
      critic = Array.from({ length: count }, (_, i) => ({
        lf: view(
          lfShape,
          i,
          { before: lf.before, after: lf.after, dBefore: lf.distancesBefore, dAfter: lf.distancesAfter },
          essLf.remasked,
        ),
        hf:
          hf === null || essHf === null
            ? null
            : view(
                hfShape,
                i,
                {
                  before: hf.before,
                  after: hf.after,
                  dBefore: hf.distancesBefore,
                  dAfter: hf.distancesAfter,
                },
                essHf.remasked,
              ),
      }));
      tStar = essLf.tStarPerSample;
      meanCriticDistance = { before: mean(lf.distancesBefore), after: mean(lf.distancesAfter) };
    } else if (options.scoreNaive === true) {
      const ctx = {
        prior: prior.lf,
        distances: codeDistanceTable(codebooks.lf),
        codeDim: codebooks.lf.shape[1],
        rowsPerPass: 2 * naiveChunkSize(prior, options.memoryBudgetBytes),
        signal: options.signal,
      };
      const distances = await criticDistances(ctx, out.lf, count, classes);
      const scores = criticScores(distances, count, lfShape.tokens);
      critic = Array.from({ length: count }, (_, i) => ({
        lf: view(lfShape, i, { before: scores, after: null, dBefore: distances, dAfter: null }, null),
        hf: null,
      }));
      const m = mean(distances);
      meanCriticDistance = { before: m, after: m };
    }
    return {
      method,
      series,
      scaled,
      classes,
      tokens: {
        lf: Array.from({ length: count }, (_, i) => slice(out.lf, i, lfShape.tokens)),
        hf: Array.from({ length: count }, (_, i) => slice(out.hf, i, hfShape.tokens)),
      },
      critic,
      tStar,
      essConfig: out.essConfig,
      meanCriticDistance,
      priorPasses: out.priorPasses,
      seconds: (performance.now() - start) / 1000,
      inference: {
        engine: engine.info.engine,
        threads: engine.info.threads,
        device: engine.info.device,
        version: engine.info.version,
        graphHash: prior.graphHash,
      },
    };
  };

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
      loadedPrior.dispose();
      stage1.dispose();
    },
  };
}
