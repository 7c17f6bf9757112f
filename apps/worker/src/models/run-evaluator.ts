import { Injectable } from '@nestjs/common';
import { MIN_EVALUATION_SAMPLES } from '@maskgen/contracts';
import {
  DatasetRepository,
  RunFeaturesRepository,
  SampleRepository,
  bytesToFloat32,
  float32ToBytes,
} from '@maskgen/persistence';
import {
  evaluateGenerated,
  type GeneratedMetrics,
  type PreparedDataset,
  withOutputLength,
} from '@maskgen/pipeline';
import { UnrecoverableError } from 'bullmq';
import { ModelCache } from './model-cache';
import { loadPreparedDataset } from './prepared-dataset';

/**
 * Generated samples compared per evaluation: every stored sample of the run, the first this many by index (FIDs are
 * comparable only at similar counts, so runs to be compared should store the same number). The real side is always
 * the whole test split (ess.md §10).
 */
export const EVALUATION_MAX_SAMPLES = 2000;

/** How metric details state what was compared. */
const PROTOCOL = `all stored samples (the first ${EVALUATION_MAX_SAMPLES} by index) against the whole real test split`;

export interface MetricRow {
  name: string;
  value: number;
  details?: Record<string, unknown>;
}

/**
 * The metrics of ess.md §7 (FID, IS, ROCKET FID, CAS when classes are known, critic distance)
 * of a run's stored samples, or of a real split, against the dataset's real test split, with the
 * evaluation classifier of a trained model.
 */
@Injectable()
export class RunEvaluator {
  constructor(
    private readonly samples: SampleRepository,
    private readonly datasets: DatasetRepository,
    private readonly cache: ModelCache,
    private readonly features: RunFeaturesRepository,
  ) {}

  async evaluateRun(
    target: { runId: string; modelId: string; datasetId: string },
    seed: number,
    signal: AbortSignal,
  ): Promise<MetricRow[]> {
    const data = await loadPreparedDataset(this.datasets, target.datasetId);
    const { series, labels } = await this.storedSeries(target.runId, data);
    const critic = await this.samples.criticSummary(target.runId);
    const metrics = await this.withClassifier(
      target.modelId,
      data,
      series,
      labels,
      seed,
      signal,
      critic.mean,
    );
    // Kept for GET /runs/compare's paired bootstrap: the samples' and the real split's features under this judge.
    const { real, generated } = metrics.features;
    await this.features.save({
      runId: target.runId,
      judgeModelId: target.modelId,
      judge: { ...metrics.judge },
      dim: generated.dim,
      generatedCount: generated.rows,
      generated: float32ToBytes(Float32Array.from(generated.data)),
      realCount: real.rows,
      real: float32ToBytes(Float32Array.from(real.data)),
    });
    return [
      ...toRows(metrics, data.classNames),
      { name: 'evaluated_samples', value: series.length, details: { realTest: data.evalTest.values.length } },
    ];
  }

  async evaluateSplit(
    target: { datasetId: string; split: 'train' | 'test'; modelId: string },
    seed: number,
    signal: AbortSignal,
  ): Promise<MetricRow[]> {
    const data = await loadPreparedDataset(this.datasets, target.datasetId);
    const split = target.split === 'train' ? data.evalTrain : data.evalTest;
    const metrics = await this.withClassifier(target.modelId, data, split.values, split.labels, seed, signal);
    return [...toRows(metrics, data.classNames), { name: 'evaluated_samples', value: split.values.length }];
  }

  private async withClassifier(
    modelId: string,
    data: PreparedDataset,
    generated: Float32Array[],
    labels: Int32Array | null,
    seed: number,
    signal: AbortSignal,
    criticDistance?: number | null,
  ): Promise<GeneratedMetrics> {
    if (generated.length < MIN_EVALUATION_SAMPLES) {
      throw new UnrecoverableError(
        `Need at least ${MIN_EVALUATION_SAMPLES} series to evaluate (the Inception Score uses ${MIN_EVALUATION_SAMPLES} splits), got ${generated.length}`,
      );
    }
    const cached = await this.cache.acquire(modelId);
    try {
      const { classifier } = cached.model;
      if (!classifier) throw new UnrecoverableError(`Model ${modelId} has no evaluation classifier`);
      return await evaluateGenerated({
        classifier,
        // The FCN's feature pass on the worker's inference engine; CAS training stays on tfjs.
        featurizer: (await cached.model.featurizer()) ?? classifier,
        // A legacy model's classifier and samples are one step short for odd L (PreparedDataset.outputLength).
        data: withOutputLength(data, cached.model.length),
        generated,
        labels,
        seed,
        signal,
        ...(criticDistance === null || criticDistance === undefined ? {} : { criticDistance }),
      });
    } finally {
      cached.release();
    }
  }

  /** The run's stored samples (the first EVALUATION_MAX_SAMPLES) in the models' scaled units, with their classes when all have one. */
  private async storedSeries(runId: string, data: PreparedDataset) {
    const wanted = EVALUATION_MAX_SAMPLES;
    const values: Float32Array[] = [];
    const classes: (number | null)[] = [];
    for await (const batch of this.samples.streamByRun(runId, { fromIndex: 0 })) {
      for (const sample of batch) {
        if (values.length >= wanted) break;
        values.push(bytesToFloat32(sample.values).slice(0, data.outputLength));
        classes.push(sample.classIndex);
      }
      if (values.length >= wanted) break;
    }
    // Stored samples are in data units (the pipeline's inverse scaling); undo only the global part.
    const { mean, std } = data.scaling;
    const scaled = values.map((series) => series.map((value) => (value - mean) / std));
    const labelled = classes.every((c) => c !== null);
    return { series: scaled, labels: labelled ? Int32Array.from(classes) : null };
  }
}

/** Metric rows; each names its judge, and FID states its terms, what was compared and the real train-vs-test FID. */
function toRows(metrics: GeneratedMetrics, classNames: readonly string[]): MetricRow[] {
  const judge = { ...metrics.judge };
  const counts = { count: metrics.count, realTest: metrics.realCount };
  const rows: MetricRow[] = [
    {
      name: 'fid',
      value: metrics.fid,
      details: {
        ...counts,
        judge,
        meanTerm: metrics.fidTerms.meanTerm,
        covarianceTerm: metrics.fidTerms.covarianceTerm,
        // The same judge's FID of the real train split against the test split: the floor to read the FID against.
        reference: { trainVsTest: metrics.referenceFid },
        protocol: PROTOCOL,
      },
    },
    {
      name: 'inception_score',
      value: metrics.inceptionScore,
      details: {
        std: metrics.inceptionScoreStd,
        ...counts,
        judge,
        reference: { realTest: metrics.realInceptionScore },
      },
    },
    {
      name: 'class_tv',
      value: metrics.classHistograms.totalVariation,
      details: {
        ...counts,
        judge,
        classNames,
        // The judge's predicted (argmax) classes, not the series' labels.
        predicted: { real: metrics.classHistograms.real, generated: metrics.classHistograms.generated },
      },
    },
    { name: 'rocket_fid', value: metrics.rocketFid, details: { ...counts, judge: 'rocket' } },
  ];
  if (metrics.perClassFid !== undefined) {
    const fids = metrics.perClassFid.flatMap((c) => (c.fid === null ? [] : [c.fid]));
    rows.push({
      name: 'class_fid',
      // Unweighted mean over the classes both sides have at least 2 series of.
      value: fids.length === 0 ? Number.NaN : fids.reduce((s, v) => s + v, 0) / fids.length,
      details: { judge, perClass: metrics.perClassFid },
    });
  }
  if (metrics.cas !== undefined)
    rows.push({ name: 'cas', value: metrics.cas, details: { judge: 'a fresh FCN trained on the samples' } });
  if (metrics.criticDistance !== undefined)
    rows.push({ name: 'critic_distance', value: metrics.criticDistance });
  return rows;
}
