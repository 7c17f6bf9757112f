import { type Dataset, type TrainTestDataset } from './dataset';
import { DatasetParseError } from './errors';
import { canonicalLabel, fitClassNames, labelIndexer } from './labels';
import { type ParseLimits, type UcrFormat, type UcrParseOptions, resolveLimits } from './options';
import {
  type RawSeries,
  type RawSplit,
  decodeInput,
  detectFormat,
  parseTsRows,
  parseTsvRows,
} from './raw-parse';
import { interpolateMissing, mostCommonLength, resampleLinear } from './series-ops';

/** One file's content, e.g. an upload or a file read from disk. */
export interface UcrSource {
  content: string | Uint8Array;
  /** Shown in error messages, e.g. `GunPoint_TRAIN.ts`; a `.ts`/`.tsv` extension also sets the format. */
  sourceName: string;
  /** Overrides `UcrParseOptions.format` for this file. */
  format?: UcrFormat;
}

export interface UcrSplitOptions extends UcrParseOptions {
  /** Dataset name; defaults to the `.ts` `@problemName` or the source name without `_TRAIN`/extension. */
  name?: string;
  /** Use an existing class mapping (e.g. from the training split) instead of fitting one. */
  classNames?: readonly string[];
}

export interface UcrTrainTestOptions extends UcrParseOptions {
  name?: string;
}

interface LengthTarget {
  length: number;
  /** Completes "… but <reference> has N" in a length error. */
  reference: string;
}

function formatFromName(sourceName: string): UcrFormat | undefined {
  if (/\.ts(\.txt)?$/i.test(sourceName)) return 'ts';
  if (/\.tsv$/i.test(sourceName)) return 'tsv';
  return undefined;
}

function readRaw(source: UcrSource, options: UcrParseOptions, limits: ParseLimits): RawSplit {
  const text = decodeInput(source.content);
  const format = source.format ?? options.format ?? formatFromName(source.sourceName) ?? detectFormat(text);
  return format === 'ts'
    ? parseTsRows(text, source.sourceName, limits)
    : parseTsvRows(text, source.sourceName, limits);
}

function defaultName(raw: RawSplit): string {
  if (raw.problemName) return raw.problemName;
  const base = raw.source.split(/[\\/]/).pop() ?? raw.source;
  return base.replace(/(\.tsv|\.ts)?(\.txt)?$/i, '').replace(/_(TRAIN|TEST)$/i, '');
}

function checkTargetLength(length: number, limits: ParseLimits): void {
  if (!Number.isInteger(length) || length < 1 || length > limits.maxSeriesLength) {
    throw new RangeError(
      `targetLength must be an integer in 1..${limits.maxSeriesLength}, got ${String(length)}`,
    );
  }
}

function chooseTargetLength(raw: RawSplit, options: UcrParseOptions, limits: ParseLimits): LengthTarget {
  if (options.targetLength !== undefined) {
    checkTargetLength(options.targetLength, limits);
    return { length: options.targetLength, reference: 'targetLength' };
  }
  if (options.length === 'resample') {
    return {
      length: mostCommonLength(raw.rows.map((row) => row.values.length)),
      reference: 'the most common length',
    };
  }
  if (raw.declaredLength !== undefined) return { length: raw.declaredLength, reference: '@seriesLength' };
  const first = raw.rows[0];
  return { length: first.values.length, reference: `the first series (line ${first.line})` };
}

function checkDeclaredLabels(raw: RawSplit): void {
  if (raw.declaredLabels === undefined) return;
  const declared = new Set(raw.declaredLabels.map(canonicalLabel));
  for (const row of raw.rows) {
    if (!declared.has(canonicalLabel(row.label))) {
      throw new DatasetParseError(
        { source: raw.source, line: row.line, field: row.labelField },
        `class label '${row.label}' is not declared in @classLabel (${raw.declaredLabels.join(' ')})`,
      );
    }
  }
}

function fitClasses(raw: RawSplit, limits: ParseLimits): string[] {
  const seen = new Set<string>();
  for (const row of raw.rows) {
    seen.add(canonicalLabel(row.label));
    if (seen.size > limits.maxClasses) {
      throw new DatasetParseError(
        { source: raw.source, line: row.line, field: row.labelField },
        `more than the limit of ${limits.maxClasses} distinct class labels`,
      );
    }
  }
  return fitClassNames(seen);
}

function seriesValues(
  raw: RawSplit,
  row: RawSeries,
  target: LengthTarget,
  options: UcrParseOptions,
): Float32Array {
  const at = (field: number) => ({ source: raw.source, line: row.line, field });
  const { values } = row;
  const firstMissing = values.findIndex(Number.isNaN);
  if (firstMissing !== -1) {
    if (options.missing !== 'interpolate') {
      throw new DatasetParseError(
        at(row.firstValueField + firstMissing),
        "missing value; pass missing: 'interpolate' to fill gaps linearly",
      );
    }
    if (!interpolateMissing(values)) {
      throw new DatasetParseError(at(row.firstValueField), 'every value of the series is missing');
    }
  }
  if (values.length === target.length) return Float32Array.from(values);
  if (options.length !== 'resample') {
    throw new DatasetParseError(
      at(row.firstValueField + Math.min(values.length, target.length)),
      `series has ${values.length} values but ${target.reference} has ${target.length}; ` +
        "pass length: 'resample' to resample to a common length",
    );
  }
  return resampleLinear(values, target.length);
}

function buildDataset(
  raw: RawSplit,
  name: string,
  classNames: readonly string[],
  target: LengthTarget,
  options: UcrParseOptions,
): Dataset {
  const classOf = labelIndexer(classNames);
  const labels = new Int32Array(raw.rows.length);
  const values = raw.rows.map((row, i) => {
    const classIndex = classOf(row.label);
    if (classIndex === undefined) {
      throw new DatasetParseError(
        { source: raw.source, line: row.line, field: row.labelField },
        `class label '${row.label}' does not occur in the training labels (${classNames.join(', ')})`,
      );
    }
    labels[i] = classIndex;
    return seriesValues(raw, row, target, options);
  });
  return { name, source: raw.source, length: target.length, values, labels, classNames: [...classNames] };
}

/**
 * Parses one UCR file (`.ts` or `.tsv`). Classes are fitted on this file unless
 * `classNames` is given. Throws only DatasetParseError for bad content (and
 * RangeError for invalid options).
 */
export function parseUcrSplit(source: UcrSource, options: UcrSplitOptions = {}): Dataset {
  const limits = resolveLimits(options.limits);
  const raw = readRaw(source, options, limits);
  checkDeclaredLabels(raw);
  const classNames = options.classNames ?? fitClasses(raw, limits);
  return buildDataset(
    raw,
    options.name ?? defaultName(raw),
    classNames,
    chooseTargetLength(raw, options, limits),
    options,
  );
}

/**
 * Parses the archive's train/test pair. The class mapping and the series length
 * come from the training file; test labels must occur in training.
 */
export function parseUcrTrainTest(
  trainSource: UcrSource,
  testSource: UcrSource,
  options: UcrTrainTestOptions = {},
): TrainTestDataset {
  const limits = resolveLimits(options.limits);
  const trainRaw = readRaw(trainSource, options, limits);
  const testRaw = readRaw(testSource, options, limits);
  checkDeclaredLabels(trainRaw);
  checkDeclaredLabels(testRaw);
  const name = options.name ?? defaultName(trainRaw);
  const classNames = fitClasses(trainRaw, limits);
  const trainTarget = chooseTargetLength(trainRaw, options, limits);
  const train = buildDataset(trainRaw, name, classNames, trainTarget, options);
  const testTarget = { length: train.length, reference: 'the training split' };
  const test = buildDataset(testRaw, name, classNames, testTarget, options);
  return { name, length: train.length, classNames: [...classNames], train, test };
}
