import {
  type FcnClassifier,
  type FcnConfig,
  type SeriesFeaturizer,
  classificationAccuracyScore,
  createRocket,
  evaluateSamples,
} from '@maskgen/metrics';
import { SeededRng } from '@maskgen/tensor';
import { type PreparedDataset } from './data';

export interface EvaluateGeneratedOptions {
  /** The evaluation FCN of the same dataset (a pipeline model's `classifier`). */
  readonly classifier: FcnClassifier;
  /** Runs the classifier's inference pass (e.g. on ONNX Runtime); default the classifier itself on tfjs. */
  readonly featurizer?: SeriesFeaturizer;
  readonly data: PreparedDataset;
  /** Generated series in scaled units (GenerateResult.scaled), length data.outputLength. */
  readonly generated: readonly Float32Array[];
  /** Class of each generated series: enables CAS (a fresh FCN trained on them, tested on the real test split). */
  readonly labels?: Int32Array | null;
  /** FCN recipe for CAS (default: the classifier's own config). */
  readonly casConfig?: FcnConfig;
  /** Seeds the real-subset choice, IS splits, ROCKET kernels and the CAS classifier. */
  readonly seed: number;
  /** Mean raw critic code distance of the generated set, passed through to the metrics. */
  readonly criticDistance?: number;
  readonly signal?: AbortSignal;
}

export interface GeneratedMetrics {
  /** Series compared: min(generated, N_test). */
  readonly count: number;
  readonly fid: number;
  readonly inceptionScore: number;
  readonly inceptionScoreStd: number;
  readonly rocketFid: number;
  /** Present when labels were given. */
  readonly cas?: number;
  readonly criticDistance?: number;
}

/**
 * FID (FCN features), IS, ROCKET FID and optionally CAS of generated series against the real test split, through
 * libs/metrics `evaluateSamples` (ess.md §7). With fewer generated series than N_test the real side is a seeded
 * random subset of the same size (so both sides have n series; only compare FIDs at equal n).
 */
export async function evaluateGenerated(options: EvaluateGeneratedOptions): Promise<GeneratedMetrics> {
  const { classifier, data, generated, seed } = options;
  if (generated.length < 2) throw new RangeError('need at least 2 generated series');
  const rng = new SeededRng(seed).fork('evaluate');
  const realAll = data.evalTest.values;
  const real =
    generated.length >= realAll.length
      ? realAll
      : rng
          .fork('real-subset')
          .shuffle(Array.from({ length: realAll.length }, (_, i) => i))
          .slice(0, generated.length)
          .sort((a, b) => a - b)
          .map((i) => realAll[i]);
  const evaluation = await evaluateSamples(options.featurizer ?? classifier, real, generated, {
    rng: rng.fork('inception'),
    rocket: createRocket(data.outputLength, { seed }),
  });
  let cas: number | undefined;
  if (options.labels !== undefined && options.labels !== null) {
    if (options.labels.length !== generated.length) {
      throw new RangeError(`${options.labels.length} labels for ${generated.length} series`);
    }
    const result = await classificationAccuracyScore(
      { values: [...generated], labels: options.labels, length: data.outputLength },
      data.evalTest,
      {
        config: options.casConfig ?? classifier.config,
        seed,
        classes: data.classNames.length,
        signal: options.signal,
      },
    );
    result.model.dispose();
    options.signal?.throwIfAborted();
    cas = result.accuracy;
  }
  return {
    count: evaluation.count,
    fid: evaluation.fid.distance,
    inceptionScore: evaluation.inception.mean,
    inceptionScoreStd: evaluation.inception.std,
    rocketFid: evaluation.rocketFid?.distance ?? Number.NaN,
    ...(cas === undefined ? {} : { cas }),
    ...(options.criticDistance === undefined ? {} : { criticDistance: options.criticDistance }),
  };
}
