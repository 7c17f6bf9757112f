import {
  type FcnClassifier,
  type FcnConfig,
  type FcnJudge,
  type FeatureMatrix,
  type FrechetResult,
  type PredictedClassHistograms,
  type SeriesFeaturizer,
  classificationAccuracyScore,
  createRocket,
  evaluateSamples,
  fcnJudge,
} from '@maskgen/metrics';
import { type TrainProgress } from '@maskgen/model';
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
  /**
   * Class of each generated series: enables CAS (a fresh FCN trained on them, tested on the real test split) and
   * per-class FID.
   */
  readonly labels?: Int32Array | null;
  /** FCN recipe for CAS (default: the classifier's own config). */
  readonly casConfig?: FcnConfig;
  /**
   * Called every 10 steps of the CAS classifier's training and after its last step: that training is the long
   * part of an evaluation with labels (minutes on long series), so callers can show it moving.
   */
  readonly onCasProgress?: (progress: TrainProgress) => void | Promise<void>;
  /** Seeds the IS splits, ROCKET kernels and the CAS classifier. */
  readonly seed: number;
  /** Mean raw critic code distance of the generated set, passed through to the metrics. */
  readonly criticDistance?: number;
  readonly signal?: AbortSignal;
}

/** A Fréchet distance with its two terms: FID = meanTerm + covarianceTerm. */
export interface FidTerms {
  readonly fid: number;
  readonly meanTerm: number;
  readonly covarianceTerm: number;
}

export interface ClassFid extends FidTerms {
  readonly className: string;
  readonly real: number;
  readonly generated: number;
}

export interface GeneratedMetrics {
  /** Generated series compared: all given. */
  readonly count: number;
  /** Real series compared: the whole test split. */
  readonly realCount: number;
  /** The evaluation FCN (its profile) that judged every metric below but CAS and ROCKET FID. */
  readonly judge: FcnJudge;
  readonly fid: number;
  readonly fidTerms: FidTerms;
  /** FID of the real train split against the real test split under the same judge: the floor to compare with. */
  readonly referenceFid: FidTerms & { readonly train: number };
  readonly inceptionScore: number;
  readonly inceptionScoreStd: number;
  /** IS of the real test split under the same judge. */
  readonly realInceptionScore: number;
  readonly classHistograms: PredictedClassHistograms;
  /** Present when labels were given: FID per class (null where a side has < 2 series of the class). */
  readonly perClassFid?: (ClassFid | { className: string; real: number; generated: number; fid: null })[];
  readonly rocketFid: number;
  /** Present when labels were given. */
  readonly cas?: number;
  readonly criticDistance?: number;
  /** The judge's features of the real test split and of the generated series, in order. */
  readonly features: { readonly real: FeatureMatrix; readonly generated: FeatureMatrix };
}

function terms(result: FrechetResult): FidTerms {
  return { fid: result.distance, meanTerm: result.meanTerm, covarianceTerm: result.covarianceTerm };
}

/**
 * FID (FCN features) with its mean and covariance terms, IS, the predicted-class histograms and their TV distance,
 * ROCKET FID, the train-vs-test reference FID, and with labels per-class FID and CAS, of generated series against
 * the **whole** real test split, through libs/metrics `evaluateSamples` (ess.md §7 as corrected by §10). Every
 * generated series given is compared; the caller caps them (FIDs are comparable only at similar counts).
 */
export async function evaluateGenerated(options: EvaluateGeneratedOptions): Promise<GeneratedMetrics> {
  const { classifier, data, generated, seed } = options;
  if (generated.length < 2) throw new RangeError('need at least 2 generated series');
  const labels = options.labels ?? null;
  if (labels !== null && labels.length !== generated.length) {
    throw new RangeError(`${labels.length} labels for ${generated.length} series`);
  }
  const rng = new SeededRng(seed).fork('evaluate');
  const evaluation = await evaluateSamples(
    options.featurizer ?? classifier,
    data.evalTest.values,
    generated,
    {
      rng: rng.fork('inception'),
      rocket: createRocket(data.outputLength, { seed }),
      reference: data.evalTrain.values,
      ...(labels === null ? {} : { classes: { real: data.evalTest.labels, generated: labels } }),
    },
  );
  let cas: number | undefined;
  if (labels !== null) {
    const result = await classificationAccuracyScore(
      { values: [...generated], labels, length: data.outputLength },
      data.evalTest,
      {
        config: options.casConfig ?? classifier.config,
        seed,
        classes: data.classNames.length,
        signal: options.signal,
        ...(options.onCasProgress === undefined
          ? {}
          : { onProgress: options.onCasProgress, progressEvery: 10 }),
      },
    );
    result.model.dispose();
    options.signal?.throwIfAborted();
    cas = result.accuracy;
  }
  return {
    count: evaluation.count,
    realCount: evaluation.realCount,
    judge: fcnJudge(classifier.config),
    fid: evaluation.fid.distance,
    fidTerms: terms(evaluation.fid),
    referenceFid: { ...terms(evaluation.referenceFid!), train: data.evalTrain.values.length },
    inceptionScore: evaluation.inception.mean,
    inceptionScoreStd: evaluation.inception.std,
    realInceptionScore: evaluation.realInception.mean,
    classHistograms: evaluation.classHistograms,
    ...(evaluation.perClassFid === undefined
      ? {}
      : {
          perClassFid: evaluation.perClassFid.map((c) => {
            const base = { className: data.classNames[c.classIndex], real: c.real, generated: c.generated };
            return c.result === null ? { ...base, fid: null } : { ...base, ...terms(c.result) };
          }),
        }),
    rocketFid: evaluation.rocketFid?.distance ?? Number.NaN,
    ...(cas === undefined ? {} : { cas }),
    ...(options.criticDistance === undefined ? {} : { criticDistance: options.criticDistance }),
    features: evaluation.features,
  };
}
