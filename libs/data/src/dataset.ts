/**
 * One split (train or test) of a univariate, labelled, equal-length dataset.
 * Every series has exactly `length` values, all finite.
 */
export interface Dataset {
  name: string;
  /** File path, upload name or generator description the data came from. */
  source: string;
  /** Number of time steps in every series. */
  length: number;
  /** values[i] is series i, `length` float32 values in time order. */
  values: Float32Array[];
  /** labels[i] is the class index (0..classNames.length-1) of series i. */
  labels: Int32Array;
  /** classNames[k] is the original label of class index k. */
  classNames: string[];
}

/** The archive's train/test split with one shared class mapping fitted on train. */
export interface TrainTestDataset {
  name: string;
  length: number;
  classNames: string[];
  train: Dataset;
  test: Dataset;
}

/** Row-major copy `[series, time]` for consumers that want one buffer (e.g. tensors). */
export function flattenValues(dataset: Dataset): Float32Array {
  const flat = new Float32Array(dataset.values.length * dataset.length);
  dataset.values.forEach((series, i) => flat.set(series, i * dataset.length));
  return flat;
}

/** Number of series in each class, indexed like `classNames`. */
export function classCounts(dataset: Dataset): number[] {
  const counts = new Array<number>(dataset.classNames.length).fill(0);
  for (const label of dataset.labels) counts[label]++;
  return counts;
}
