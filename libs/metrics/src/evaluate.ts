import { type SeededRng } from '@maskgen/tensor';
import {
  type ClassFrechet,
  classHistogram,
  perClassFrechet,
  predictedClasses,
  totalVariationDistance,
} from './classes';
import { type SeriesFeaturizer, stackSeries } from './fcn';
import { type FeatureMatrix, frechetDistance, type FrechetResult } from './frechet';
import { inceptionScore, type InceptionScoreResult } from './inception';
import { rocketFeatures, type RocketTransform } from './rocket';

export interface SampleEvaluationOptions {
  /** IS splits (default 10). */
  readonly splits?: number;
  /** Shuffles the IS splits. */
  readonly rng?: SeededRng;
  /** Also computes the training-free ROCKET FID with this transform. */
  readonly rocket?: RocketTransform;
  /** True classes of the real test series and the asked-for classes of the generated ones: per-class FID. */
  readonly classes?: { readonly real: ArrayLike<number>; readonly generated: ArrayLike<number> };
  /** Another real split (the train split): its FID against the test split is the reference a generated FID approaches. */
  readonly reference?: readonly Float32Array[];
}

export interface PredictedClassHistograms {
  /** The judge's argmax class counts over the real test split and over the generated series. */
  readonly real: number[];
  readonly generated: number[];
  /** Total-variation distance of the two normalised histograms. */
  readonly totalVariation: number;
}

export interface SampleEvaluation {
  /** Generated series used: all given (the caller caps them). */
  readonly count: number;
  /** Real series: the whole test split. */
  readonly realCount: number;
  readonly fid: FrechetResult;
  readonly inception: InceptionScoreResult;
  /** IS of the real test split under the same judge. */
  readonly realInception: InceptionScoreResult;
  readonly classHistograms: PredictedClassHistograms;
  /** With `options.classes`. */
  readonly perClassFid?: ClassFrechet[];
  /** With `options.reference`: FID(test, reference) of the same judge. */
  readonly referenceFid?: FrechetResult;
  readonly rocketFid?: FrechetResult;
  /** The judge's features of both sides (e.g. for a paired bootstrap later). */
  readonly features: { readonly real: FeatureMatrix; readonly generated: FeatureMatrix };
}

/**
 * ess.md §7 as corrected by §10: FID against the **full** real test split on the classifier's penultimate
 * features, IS from its softmax, the predicted-class histograms with their total-variation distance, and
 * optionally per-class FID, the reference split's FID and the ROCKET-feature FID. Every generated series given is
 * used (the released evaluator compares max(N_test, 256) generated series with all N_test real ones).
 */
export async function evaluateSamples(
  classifier: SeriesFeaturizer,
  realTest: readonly Float32Array[],
  generated: readonly Float32Array[],
  options: SampleEvaluationOptions = {},
): Promise<SampleEvaluation> {
  if (generated.length < 2) throw new RangeError(`need at least 2 generated series, got ${generated.length}`);
  const count = generated.length;
  const realCount = realTest.length;
  const { length, classes } = classifier.spec;
  const dim = classifier.featureDim;
  const real = await classifier.inferAsync(stackSeries(realTest, length), realCount);
  const fake = await classifier.inferAsync(stackSeries(generated, length), count);
  const realFeatures: FeatureMatrix = { rows: realCount, dim, data: real.features };
  const fakeFeatures: FeatureMatrix = { rows: count, dim, data: fake.features };
  const fid = frechetDistance(realFeatures, fakeFeatures);
  const inception = inceptionScore(fake.probabilities, count, classes, {
    splits: options.splits,
    rng: options.rng,
  });
  const realInception = inceptionScore(real.probabilities, realCount, classes, {
    splits: options.splits,
    rng: options.rng?.fork('real'),
  });
  const realHistogram = classHistogram(predictedClasses(real.probabilities, realCount, classes), classes);
  const fakeHistogram = classHistogram(predictedClasses(fake.probabilities, count, classes), classes);
  const classHistograms = {
    real: realHistogram,
    generated: fakeHistogram,
    totalVariation: totalVariationDistance(realHistogram, fakeHistogram),
  };
  const perClassFid = options.classes
    ? perClassFrechet(realFeatures, options.classes.real, fakeFeatures, options.classes.generated, classes)
    : undefined;
  let referenceFid: FrechetResult | undefined;
  if (options.reference) {
    const n = options.reference.length;
    const ref = await classifier.inferAsync(stackSeries(options.reference, length), n);
    referenceFid = frechetDistance(realFeatures, { rows: n, dim, data: ref.features });
  }
  const rocketFid = options.rocket
    ? frechetDistance(rocketFeatures(options.rocket, realTest), rocketFeatures(options.rocket, generated))
    : undefined;
  return {
    count,
    realCount,
    fid,
    inception,
    realInception,
    classHistograms,
    ...(perClassFid ? { perClassFid } : {}),
    ...(referenceFid ? { referenceFid } : {}),
    ...(rocketFid ? { rocketFid } : {}),
    features: { real: realFeatures, generated: fakeFeatures },
  };
}
