import { type Dataset, type TrainTestDataset } from './dataset';
import { DatasetParseError } from './errors';
import { canonicalLabel, fitClassNames, labelIndexer } from './labels';
import { type ParseLimits, type UcrFormat, type UcrParseOptions, resolveLimits } from './options';
import {
  type LineParser,
  type RawSeries,
  type RawSplit,
  decodeInput,
  detectFormat,
  formatOfLine,
  maxLineLength,
  parseTsRows,
  parseTsvRows,
  streamLines,
  tsLineParser,
  tsvLineParser,
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

/** One file read as a stream of chunks (e.g. an upload on disk), parsed line by line. */
export interface UcrStreamSource {
  content: AsyncIterable<Uint8Array | string>;
  sourceName: string;
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

function formatOfName(sourceName: string): UcrFormat | undefined {
  if (/\.ts(\.txt)?$/i.test(sourceName)) return 'ts';
  if (/\.tsv$/i.test(sourceName)) return 'tsv';
  return undefined;
}

function readRaw(source: UcrSource, options: UcrParseOptions, limits: ParseLimits): RawSplit {
  const text = decodeInput(source.content);
  const format = source.format ?? options.format ?? formatOfName(source.sourceName) ?? detectFormat(text);
  return format === 'ts'
    ? parseTsRows(text, source.sourceName, limits)
    : parseTsvRows(text, source.sourceName, limits);
}

/** Reads a file one line at a time, so only its parsed rows are held, never its text. */
async function readRawStream(
  source: UcrStreamSource,
  options: UcrParseOptions,
  limits: ParseLimits,
): Promise<RawSplit> {
  const named = source.format ?? options.format ?? formatOfName(source.sourceName);
  let parser: LineParser | undefined;
  for await (const { text, number } of streamLines(
    source.content,
    source.sourceName,
    maxLineLength(limits),
  )) {
    if (parser === undefined) {
      // Blank lines are skipped by either format, so the format may wait for the first meaningful line.
      const format = named ?? formatOfLine(text);
      if (format === undefined) continue;
      parser =
        format === 'ts' ? tsLineParser(source.sourceName, limits) : tsvLineParser(source.sourceName, limits);
    }
    parser.line(text, number);
  }
  return (parser ?? tsvLineParser(source.sourceName, limits)).finish();
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
  return trainTest(
    readRaw(trainSource, options, limits),
    readRaw(testSource, options, limits),
    options,
    limits,
  );
}

/**
 * parseUcrTrainTest for files read as streams (uploads on disk): each file is parsed line by line, so memory
 * holds the parsed series but never a file's bytes or text.
 */
export async function parseUcrTrainTestStreams(
  trainSource: UcrStreamSource,
  testSource: UcrStreamSource,
  options: UcrTrainTestOptions = {},
): Promise<TrainTestDataset> {
  const limits = resolveLimits(options.limits);
  const trainRaw = await readRawStream(trainSource, options, limits);
  const testRaw = await readRawStream(testSource, options, limits);
  return trainTest(trainRaw, testRaw, options, limits);
}

function trainTest(
  trainRaw: RawSplit,
  testRaw: RawSplit,
  options: UcrTrainTestOptions,
  limits: ParseLimits,
): TrainTestDataset {
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
