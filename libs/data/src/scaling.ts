import { type Dataset, type TrainTestDataset } from './dataset';

/**
 * Fitted scaling, stored with a model so generated series can be mapped back
 * to data units with `inverseScaleSeries`.
 */
export interface ScalingParams {
  /** Mean of all training values (after per-series z-normalisation, if enabled). */
  mean: number;
  /** Population standard deviation of the same values; 1 when they are constant. */
  std: number;
  /** True when each series was z-normalised before the global scaling. */
  perSeriesZNormalized: boolean;
}

export interface ScalingOptions {
  /** Z-normalise every series on its own before fitting the global scaling. Default false. */
  perSeries?: boolean;
}

export interface ScaledTrainTest extends TrainTestDataset {
  scaling: ScalingParams;
}

function meanAndStd(seriesList: readonly ArrayLike<number>[]): { mean: number; std: number } {
  let count = 0;
  let sum = 0;
  for (const series of seriesList) {
    for (let t = 0; t < series.length; t++) sum += series[t];
    count += series.length;
  }
  const mean = count === 0 ? 0 : sum / count;
  let squares = 0;
  for (const series of seriesList) {
    for (let t = 0; t < series.length; t++) squares += (series[t] - mean) ** 2;
  }
  const std = count === 0 ? 0 : Math.sqrt(squares / count);
  // A constant signal has nothing to scale; dividing by 1 keeps it finite.
  return { mean, std: std > 0 && Number.isFinite(std) ? std : 1 };
}

function mapSeries(dataset: Dataset, transform: (series: Float32Array) => Float32Array): Dataset {
  return { ...dataset, values: dataset.values.map(transform), labels: dataset.labels.slice() };
}

/** Subtracts each series' own mean and divides by its own population std (1 if constant). */
export function zNormalizeEachSeries(dataset: Dataset): Dataset {
  return mapSeries(dataset, (series) => {
    const { mean, std } = meanAndStd([series]);
    return series.map((value) => (value - mean) / std);
  });
}

/** One scalar mean and std over every training value (ESS spec §2). */
export function fitGlobalScaling(train: Dataset, options: ScalingOptions = {}): ScalingParams {
  const perSeries = options.perSeries ?? false;
  const source = perSeries ? zNormalizeEachSeries(train) : train;
  return { ...meanAndStd(source.values), perSeriesZNormalized: perSeries };
}

export function applyScaling(dataset: Dataset, params: ScalingParams): Dataset {
  const source = params.perSeriesZNormalized ? zNormalizeEachSeries(dataset) : dataset;
  return mapSeries(source, (series) => series.map((value) => (value - params.mean) / params.std));
}

/**
 * Maps scaled values back to the units the global scaling was fitted in. With
 * per-series z-normalisation the per-series offsets are not recoverable, so the
 * result stays in z-normalised units.
 */
export function inverseScaleSeries(series: Float32Array, params: ScalingParams): Float32Array {
  return series.map((value) => value * params.std + params.mean);
}

/** Fits on train, applies the same parameters to train and test. */
export function scaleTrainTest(data: TrainTestDataset, options: ScalingOptions = {}): ScaledTrainTest {
  const scaling = fitGlobalScaling(data.train, options);
  return {
    ...data,
    train: applyScaling(data.train, scaling),
    test: applyScaling(data.test, scaling),
    scaling,
  };
}
