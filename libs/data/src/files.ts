import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type TrainTestDataset } from './dataset';
import { type UcrFormat } from './options';
import { type UcrTrainTestOptions, parseUcrTrainTest } from './parse';

/** Datasets copied into `libs/data/datasets/` (see its README for citations). */
export const BUILTIN_UCR_DATASETS = ['CBF', 'ECG200', 'GunPoint', 'ItalyPowerDemand'] as const;
export type BuiltinUcrName = (typeof BUILTIN_UCR_DATASETS)[number];

/** Resolved relative to this source file, so it works from the repository checkout. */
export const BUILTIN_UCR_DIR = path.resolve(__dirname, '../datasets');

export interface UcrFiles {
  name: string;
  dir: string;
  format: UcrFormat;
  trainPath: string;
  testPath: string;
}

export class UcrDatasetNotFoundError extends Error {
  override readonly name = 'UcrDatasetNotFoundError';
}

const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

function checkDatasetName(name: string): void {
  // The name becomes part of a path; anything else could escape the search directory.
  if (!DATASET_NAME.test(name)) throw new RangeError(`invalid dataset name '${name}'`);
}

/**
 * File suffixes tried in order. `.ts.txt` holds an unchanged `.ts` file under a
 * name the TypeScript compiler and ESLint do not pick up (the vendored copies use it).
 */
const UCR_FILE_SUFFIXES: readonly { suffix: string; format: UcrFormat }[] = [
  { suffix: '.ts', format: 'ts' },
  { suffix: '.tsv', format: 'tsv' },
  { suffix: '.ts.txt', format: 'ts' },
];

/** Finds `<dir>/<name>_TRAIN.<ext>` and `<dir>/<name>_TEST.<ext>` with the same extension. */
export function locateUcrFiles(dir: string, name: string): UcrFiles | undefined {
  checkDatasetName(name);
  for (const { suffix, format } of UCR_FILE_SUFFIXES) {
    const trainPath = path.join(dir, `${name}_TRAIN${suffix}`);
    const testPath = path.join(dir, `${name}_TEST${suffix}`);
    if (existsSync(trainPath) && existsSync(testPath)) return { name, dir, format, trainPath, testPath };
  }
  return undefined;
}

export function loadUcrFiles(files: UcrFiles, options: UcrTrainTestOptions = {}): TrainTestDataset {
  return parseUcrTrainTest(
    { content: readFileSync(files.trainPath), sourceName: files.trainPath, format: files.format },
    { content: readFileSync(files.testPath), sourceName: files.testPath, format: files.format },
    { name: files.name, ...options },
  );
}

/** Loads `<dir>/<name>_TRAIN.{ts,tsv}` and `<dir>/<name>_TEST.{ts,tsv}` (see `locateUcrFiles`). */
export function loadUcrDataset(
  dir: string,
  name: string,
  options: UcrTrainTestOptions = {},
): TrainTestDataset {
  const files = locateUcrFiles(dir, name);
  if (files === undefined) {
    throw new UcrDatasetNotFoundError(`no ${name}_TRAIN/_TEST .ts or .tsv pair in ${dir}`);
  }
  return loadUcrFiles(files, options);
}

/**
 * Looks for `<root>/<name>/` in the vendored datasets first, then in each of
 * `searchDirs` (e.g. a shared UCR archive the caller knows about).
 */
export function findUcrDataset(name: string, searchDirs: readonly string[] = []): UcrFiles | undefined {
  checkDatasetName(name);
  for (const root of [BUILTIN_UCR_DIR, ...searchDirs]) {
    const files = locateUcrFiles(path.join(root, name), name);
    if (files !== undefined) return files;
  }
  return undefined;
}

export function isBuiltinUcrName(name: string): name is BuiltinUcrName {
  return (BUILTIN_UCR_DATASETS as readonly string[]).includes(name);
}

export function loadBuiltinUcr(name: BuiltinUcrName, options: UcrTrainTestOptions = {}): TrainTestDataset {
  if (!isBuiltinUcrName(name))
    throw new UcrDatasetNotFoundError(`'${String(name)}' is not a vendored dataset`);
  return loadUcrDataset(path.join(BUILTIN_UCR_DIR, name), name, options);
}
