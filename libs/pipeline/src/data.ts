import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { datasetTrainabilityProblem, type SyntheticGenerator } from '@maskgen/contracts';
import {
  type Dataset,
  type ScalingParams,
  type TrainTestDataset,
  findUcrDataset,
  generateSyntheticTrainTest,
  isSyntheticGeneratorName,
  loadUcrFiles,
  scaleTrainTest,
  syntheticGenerators,
  type SyntheticGeneratorName,
} from '@maskgen/data';

// libs/data names its generators without the wire contracts; they are the API's (SYNTHETIC_GENERATORS), both ways.
true satisfies [SyntheticGenerator, SyntheticGeneratorName] extends [
  SyntheticGeneratorName,
  SyntheticGenerator,
]
  ? true
  : false;

export const SYNTHETIC_PREFIX = 'synthetic:';

/** The shared UCR archive next to the repository checkout (../shared/data/ucr), if present. */
export const SHARED_UCR_DIR = path.resolve(__dirname, '../../../../shared/data/ucr');

/** A dataset name that does not resolve (unknown generator, missing files, invalid name). */
export class DatasetNameError extends Error {
  override readonly name = 'DatasetNameError';
}

export interface LoadDatasetOptions {
  /** Seed of a synthetic dataset's train/test draw (default 1). */
  readonly seed?: number;
  /** Extra directories holding `<name>/<name>_TRAIN…` (default: the shared UCR archive when it exists). */
  readonly ucrDirs?: readonly string[];
}

/** Names `loadDatasetByName` accepts besides UCR names: `synthetic:<generator>`. */
export function syntheticDatasetNames(): string[] {
  return Object.keys(syntheticGenerators).map((g) => `${SYNTHETIC_PREFIX}${g}`);
}

/**
 * A UCR dataset by name (vendored in libs/data, else the shared archive), or `synthetic:<generator>` (10 train and
 * 300 test series per class, drawn from `seed`). Throws DatasetNameError when the name does not resolve.
 */
export function loadDatasetByName(name: string, options: LoadDatasetOptions = {}): TrainTestDataset {
  if (name.startsWith(SYNTHETIC_PREFIX)) {
    const generator = name.slice(SYNTHETIC_PREFIX.length);
    if (!isSyntheticGeneratorName(generator)) {
      throw new DatasetNameError(
        `unknown synthetic generator '${generator}' (known: ${Object.keys(syntheticGenerators).join(', ')})`,
      );
    }
    // Sizes of the UCR CBF split (30 train, 900 test) at the generator's default length.
    return generateSyntheticTrainTest(generator, {
      seed: options.seed ?? 1,
      trainPerClass: 10,
      testPerClass: 300,
    });
  }
  const dirs = options.ucrDirs ?? (existsSync(SHARED_UCR_DIR) ? [SHARED_UCR_DIR] : []);
  let files;
  try {
    files = findUcrDataset(name, dirs);
  } catch (error) {
    throw new DatasetNameError(error instanceof Error ? error.message : String(error));
  }
  if (files === undefined) {
    throw new DatasetNameError(
      `dataset '${name}' not found (vendored${dirs.length > 0 ? ` or in ${dirs.join(', ')}` : ''})`,
    );
  }
  return loadUcrFiles(files);
}

/** A dataset as every stage sees it: scaled (ess.md §2), plus the real evaluation set of §7. */
export interface PreparedDataset {
  readonly name: string;
  /** Input series length L. */
  readonly length: number;
  /**
   * Length of generated series: L. Checkpoints trained before istft took the length report 2·(W − 1), i.e. L − 1
   * for odd L; `withOutputLength` gives the view their classifier and samples need.
   */
  readonly outputLength: number;
  readonly classNames: readonly string[];
  readonly scaling: ScalingParams;
  /** Scaled splits at length L (stage 1 and the prior train on `train`). */
  readonly train: Dataset;
  readonly test: Dataset;
  /**
   * The scaled splits cut to `outputLength` (the same as train/test unless prepared for a legacy checkpoint). The
   * evaluation classifier trains on `evalTrain`; FID/IS/CAS compare generated series with `evalTest`.
   */
  readonly evalTrain: Dataset;
  readonly evalTest: Dataset;
}

function cut(dataset: Dataset, length: number): Dataset {
  if (length === dataset.length) return dataset;
  return { ...dataset, length, values: dataset.values.map((v) => v.slice(0, length)) };
}

/** Scales with one scalar mean/std fitted on train (ess.md §2) and derives the evaluation splits. */
export function prepareDataset(raw: TrainTestDataset): PreparedDataset {
  // The API refuses such datasets at creation; rows stored before that fail here with the same reason.
  const problem = datasetTrainabilityProblem({
    length: raw.length,
    classNames: raw.classNames,
    trainLabels: raw.train.labels,
    testLabels: raw.test.labels,
  });
  if (problem !== undefined) throw new RangeError(`${raw.name}: ${problem}`);
  const scaled = scaleTrainTest(raw);
  return {
    name: raw.name,
    length: raw.length,
    outputLength: raw.length,
    classNames: [...raw.classNames],
    scaling: scaled.scaling,
    train: scaled.train,
    test: scaled.test,
    evalTrain: scaled.train,
    evalTest: scaled.test,
  };
}

/**
 * The dataset as a model with this output length sees it in evaluation: L, or L − 1 (odd L) for a checkpoint
 * trained when the STFT round trip dropped the last sample (its classifier takes L − 1 and so do its samples).
 */
export function withOutputLength(data: PreparedDataset, outputLength: number): PreparedDataset {
  if (outputLength === data.outputLength) return data;
  if (outputLength !== data.length && !(data.length % 2 === 1 && outputLength === data.length - 1)) {
    throw new RangeError(
      `${data.name}: output length ${outputLength} does not fit series of length ${data.length}`,
    );
  }
  return {
    ...data,
    outputLength,
    evalTrain: cut(data.train, outputLength),
    evalTest: cut(data.test, outputLength),
  };
}
