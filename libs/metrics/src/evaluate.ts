import { type SeededRng } from '@maskgen/tensor';
import { type SeriesFeaturizer, stackSeries } from './fcn';
import { frechetDistance, type FrechetResult } from './frechet';
import { inceptionScore, type InceptionScoreResult } from './inception';
import { rocketFeatures, type RocketTransform } from './rocket';

export interface SampleEvaluationOptions {
  /** IS splits (default 10). */
  readonly splits?: number;
  /** Shuffles the IS splits. */
  readonly rng?: SeededRng;
  /** Also computes the training-free ROCKET FID with this transform. */
  readonly rocket?: RocketTransform;
}

export interface SampleEvaluation {
  /** Generated series used: the first N_test. */
  readonly count: number;
  readonly fid: FrechetResult;
  readonly inception: InceptionScoreResult;
  readonly rocketFid?: FrechetResult;
}

/**
 * ess.md §7 unconditional protocol: featurise the first N_test generated series (the caller generates
 * max(N_test, 256)); FID against the real test split on the classifier's penultimate features, IS from its softmax,
 * and optionally the ROCKET-feature FID.
 */
export async function evaluateSamples(
  classifier: SeriesFeaturizer,
  realTest: readonly Float32Array[],
  generated: readonly Float32Array[],
  options: SampleEvaluationOptions = {},
): Promise<SampleEvaluation> {
  const count = realTest.length;
  if (generated.length < count) {
    throw new RangeError(`need at least N_test = ${count} generated series, got ${generated.length}`);
  }
  const used = generated.slice(0, count);
  const { length } = classifier.spec;
  const dim = classifier.featureDim;
  const real = await classifier.inferAsync(stackSeries(realTest, length), count);
  const fake = await classifier.inferAsync(stackSeries(used, length), count);
  const fid = frechetDistance(
    { rows: count, dim, data: real.features },
    { rows: count, dim, data: fake.features },
  );
  const probs = fake.probabilities;
  const inception = inceptionScore(probs, count, classifier.spec.classes, {
    splits: options.splits,
    rng: options.rng,
  });
  const rocketFid = options.rocket
    ? frechetDistance(rocketFeatures(options.rocket, realTest), rocketFeatures(options.rocket, used))
    : undefined;
  return { count, fid, inception, rocketFid };
}
