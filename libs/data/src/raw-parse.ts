import { DatasetParseError } from './errors';
import { type ParseLimits, type UcrFormat } from './options';

/** One parsed line before any policy is applied; missing values are NaN. */
export interface RawSeries {
  line: number;
  label: string;
  labelField: number;
  values: number[];
  /** Field number of values[0]; values[j] is field firstValueField + j. */
  firstValueField: number;
}

export interface RawSplit {
  source: string;
  format: UcrFormat;
  /** `@problemName` from a `.ts` header. */
  problemName?: string;
  /** `@seriesLength` when the header also says `@equalLength true`. */
  declaredLength?: number;
  /** Labels listed after `@classLabel true`. */
  declaredLabels?: string[];
  rows: RawSeries[];
}

const DECIMAL_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const FLOAT32_MAX = 3.4028234663852886e38;
/** Values longer than this cannot be a sensible number and would only slow the regex down. */
const MAX_NUMBER_TEXT = 64;

export function isDecimalNumber(text: string): boolean {
  return text.length <= MAX_NUMBER_TEXT && DECIMAL_NUMBER.test(text);
}

export function decodeInput(input: string | Uint8Array): string {
  // Invalid UTF-8 becomes U+FFFD, which later fails as "not a number" with a location.
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Yields lines with their 1-based numbers; accepts \n, \r\n and lone \r endings. */
function* lines(text: string): Generator<{ text: string; number: number }> {
  const breaks = /\r\n|\r|\n/g;
  let start = 0;
  let number = 1;
  for (let match = breaks.exec(text); match !== null; match = breaks.exec(text)) {
    yield { text: text.slice(start, match.index), number };
    start = match.index + match[0].length;
    number++;
  }
  if (start < text.length) yield { text: text.slice(start), number };
}

/** Splits `text` on `separator` without building a huge array for hostile input. */
function splitBounded(text: string, separator: string, maxParts: number, onTooMany: () => never): string[] {
  const parts: string[] = [];
  let start = 0;
  for (;;) {
    const end = text.indexOf(separator, start);
    if (parts.length >= maxParts) onTooMany();
    parts.push(text.slice(start, end === -1 ? text.length : end));
    if (end === -1) return parts;
    start = end + separator.length;
  }
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

class SplitBuilder {
  private totalValues = 0;
  readonly rows: RawSeries[] = [];

  constructor(
    readonly source: string,
    readonly limits: ParseLimits,
  ) {}

  fail(reason: string, line?: number, field?: number): never {
    throw new DatasetParseError({ source: this.source, line, field }, reason);
  }

  parseValue(token: string, line: number, field: number): number {
    const text = token.trim();
    if (text === '?' || text.toLowerCase() === 'nan') return NaN;
    if (text === '') this.fail('empty value', line, field);
    if (!isDecimalNumber(text)) this.fail(`not a number: '${shorten(text)}'`, line, field);
    const value = Number(text);
    if (!(Math.abs(value) <= FLOAT32_MAX)) {
      this.fail(`value ${shorten(text)} is outside the float32 range`, line, field);
    }
    return value;
  }

  parseLabel(token: string, line: number, field: number): string {
    const label = token.trim();
    if (label === '') this.fail('empty class label', line, field);
    if (label.length > this.limits.maxLabelLength) {
      this.fail(`class label longer than ${this.limits.maxLabelLength} characters`, line, field);
    }
    return label;
  }

  splitValues(text: string, separator: string, line: number, firstField: number): string[] {
    return splitBounded(text, separator, this.limits.maxSeriesLength, () =>
      this.fail(
        `series longer than the limit of ${this.limits.maxSeriesLength} values`,
        line,
        firstField + this.limits.maxSeriesLength,
      ),
    );
  }

  add(row: RawSeries): void {
    if (this.rows.length >= this.limits.maxRows) {
      this.fail(`more than the limit of ${this.limits.maxRows} series`, row.line);
    }
    this.totalValues += row.values.length;
    if (this.totalValues > this.limits.maxTotalValues) {
      this.fail(`more than the limit of ${this.limits.maxTotalValues} values in total`, row.line);
    }
    this.rows.push(row);
  }

  finish(format: UcrFormat): RawSplit {
    if (this.rows.length === 0) this.fail('no series found');
    return { source: this.source, format, rows: this.rows };
  }
}

/** First meaningful line starts with `@` or `#` → sktime `.ts`, otherwise UCR `.tsv`. */
export function detectFormat(text: string): UcrFormat {
  for (const { text: line } of lines(text)) {
    const format = formatOfLine(line);
    if (format) return format;
  }
  return 'tsv';
}

/** Takes a file's lines one at a time (1-based numbers), so a file read from disk is never whole in memory. */
export interface LineParser {
  line(text: string, number: number): void;
  finish(): RawSplit;
}

/** UCR 2018 `.tsv`: `label<TAB>v1<TAB>...<TAB>vL`; trailing NaNs are end-of-series padding. */
export function tsvLineParser(source: string, limits: ParseLimits): LineParser {
  const split = new SplitBuilder(source, limits);
  return {
    line(raw, number) {
      const line = raw.trim();
      if (line === '') return;
      const tab = line.indexOf('\t');
      if (tab === -1) split.fail('has a class label but no values (fields must be tab-separated)', number, 1);
      const label = split.parseLabel(line.slice(0, tab), number, 1);
      const tokens = split.splitValues(line.slice(tab + 1), '\t', number, 2);
      const values = tokens.map((token, j) => split.parseValue(token, number, j + 2));
      // The archive pads variable-length series with NaN at the end.
      let length = values.length;
      while (length > 0 && Number.isNaN(values[length - 1])) length--;
      if (length === 0) split.fail('series has no values (all NaN)', number, 2);
      values.length = length;
      split.add({ line: number, label, labelField: 1, values, firstValueField: 2 });
    },
    finish: () => split.finish('tsv'),
  };
}

function parseText(parser: LineParser, text: string): RawSplit {
  for (const { text: line, number } of lines(text)) parser.line(line, number);
  return parser.finish();
}

export function parseTsvRows(text: string, source: string, limits: ParseLimits): RawSplit {
  return parseText(tsvLineParser(source, limits), text);
}

interface TsHeader {
  problemName?: string;
  equalLength?: boolean;
  seriesLength?: number;
  declaredLabels?: string[];
}

function parseBoolean(split: SplitBuilder, key: string, value: string, line: number): boolean {
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  return split.fail(`@${key} must be true or false, got '${shorten(value)}'`, line);
}

/** Generous for `@classLabel` with many classes, small enough to split cheaply. */
const MAX_HEADER_LINE = 1_000_000;

/** Longest line a valid file can have: a series at the length limit of longest numbers, or a header line. */
export function maxLineLength(limits: ParseLimits): number {
  return limits.maxSeriesLength * (MAX_NUMBER_TEXT + 1) + limits.maxLabelLength + MAX_HEADER_LINE;
}

function applyHeaderLine(split: SplitBuilder, header: TsHeader, line: string, number: number): void {
  if (line.length > MAX_HEADER_LINE)
    split.fail(`header line longer than ${MAX_HEADER_LINE} characters`, number);
  const [keyToken = '', ...args] = line.slice(1).split(/\s+/);
  const key = keyToken.toLowerCase();
  const first = args[0] ?? '';
  switch (key) {
    case 'problemname':
      header.problemName = args.join(' ');
      return;
    case 'timestamps':
      if (parseBoolean(split, keyToken, first, number)) {
        split.fail('time-stamped .ts files are not supported', number);
      }
      return;
    case 'univariate':
      if (!parseBoolean(split, keyToken, first, number)) {
        split.fail('multivariate .ts files are not supported (@univariate false)', number);
      }
      return;
    case 'dimension':
    case 'dimensions':
      if (first !== '1')
        split.fail(`multivariate .ts files are not supported (@${keyToken} ${first})`, number);
      return;
    case 'missing':
      parseBoolean(split, keyToken, first, number);
      return;
    case 'equallength':
      header.equalLength = parseBoolean(split, keyToken, first, number);
      return;
    case 'serieslength': {
      const length = Number(first);
      if (!/^\d+$/.test(first) || length < 1) {
        split.fail(`@${keyToken} must be a positive integer, got '${shorten(first)}'`, number);
      }
      header.seriesLength = length;
      return;
    }
    case 'classlabel':
      if (!parseBoolean(split, keyToken, first, number)) {
        split.fail('unlabelled .ts files are not supported (@classLabel false)', number);
      }
      header.declaredLabels = args.slice(1).filter((label) => label !== '');
      return;
    case 'targetlabel':
      if (parseBoolean(split, keyToken, first, number)) {
        split.fail('regression .ts files are not supported (@targetLabel true)', number);
      }
      return;
    default:
      // Unknown header keys are ignored so newer files still load.
      return;
  }
}

/** sktime `.ts`: `#` comments, `@key value` header lines, `@data`, then `v1,...,vL:label`. */
export function tsLineParser(source: string, limits: ParseLimits): LineParser {
  const split = new SplitBuilder(source, limits);
  const header: TsHeader = {};
  let inData = false;
  return {
    line(raw, number) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      if (!inData) {
        if (!line.startsWith('@')) split.fail('expected a @header line or @data before the series', number);
        if (line.toLowerCase() === '@data') inData = true;
        else applyHeaderLine(split, header, line, number);
        return;
      }
      if (line.startsWith('(')) split.fail('time-stamped values are not supported', number, 1);
      const colon = line.lastIndexOf(':');
      if (colon === -1) split.fail("missing ':<label>' after the values", number);
      const valuesText = line.slice(0, colon);
      if (valuesText.trim() === '') split.fail('no values before the class label', number, 1);
      const tokens = split.splitValues(valuesText, ',', number, 1);
      const dimensionBreak = tokens.findIndex((token) => token.includes(':'));
      if (dimensionBreak !== -1) {
        split.fail(
          'multivariate series are not supported (more than one dimension)',
          number,
          dimensionBreak + 1,
        );
      }
      const values = tokens.map((token, j) => split.parseValue(token, number, j + 1));
      const labelField = tokens.length + 1;
      const label = split.parseLabel(line.slice(colon + 1), number, labelField);
      split.add({ line: number, label, labelField, values, firstValueField: 1 });
    },
    finish() {
      if (!inData) split.fail('no @data line found');
      const result = split.finish('ts');
      result.problemName = header.problemName;
      if (header.equalLength === true && header.seriesLength !== undefined) {
        result.declaredLength = header.seriesLength;
      }
      if (header.declaredLabels !== undefined && header.declaredLabels.length > 0) {
        result.declaredLabels = header.declaredLabels;
      }
      return result;
    },
  };
}

export function parseTsRows(text: string, source: string, limits: ParseLimits): RawSplit {
  return parseText(tsLineParser(source, limits), text);
}

/** A file's first meaningful line starts with `@` or `#` → sktime `.ts`, otherwise UCR `.tsv`. */
export function formatOfLine(line: string): UcrFormat | undefined {
  const trimmed = line.trim();
  if (trimmed === '') return undefined;
  return trimmed.startsWith('@') || trimmed.startsWith('#') ? 'ts' : 'tsv';
}

/**
 * The lines of a byte stream (UTF-8; \n, \r\n or lone \r endings, a leading BOM dropped), one at a time. A line
 * longer than `maxLineLength` characters fails before it is held whole, so a file without line breaks cannot
 * fill memory.
 */
export async function* streamLines(
  chunks: AsyncIterable<Uint8Array | string>,
  source: string,
  maxLineLength: number,
): AsyncGenerator<{ text: string; number: number }> {
  // Invalid UTF-8 becomes U+FFFD, which later fails as "not a number" with a location.
  const decoder = new TextDecoder('utf-8');
  const breaks = /\r\n|\r|\n/g;
  // The unfinished line, in pieces: joining only at its end keeps a long line linear to read.
  let parts: string[] = [];
  let partsLength = 0;
  // The last chunk ended with \r, which ends a line whether or not a \n follows.
  let heldCr = false;
  let number = 1;
  let first = true;
  const line = (tail: string) => {
    const text = parts.join('') + tail;
    parts = [];
    partsLength = 0;
    return { text, number: number++ };
  };
  async function* decoded(): AsyncGenerator<string> {
    for await (const chunk of chunks)
      yield typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    yield decoder.decode();
  }
  for await (let text of decoded()) {
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    let start = 0;
    if (heldCr && text.length > 0) {
      heldCr = false;
      yield line('');
      if (text.startsWith('\n')) start = 1;
    }
    breaks.lastIndex = start;
    for (let match = breaks.exec(text); match !== null; match = breaks.exec(text)) {
      if (match[0] === '\r' && match.index === text.length - 1) {
        // Maybe the first half of a \r\n: the next chunk tells.
        heldCr = true;
        parts.push(text.slice(start, match.index));
        start = text.length;
        break;
      }
      yield line(text.slice(start, match.index));
      start = match.index + match[0].length;
    }
    if (start < text.length) {
      parts.push(text.slice(start));
      partsLength += text.length - start;
      if (partsLength > maxLineLength) {
        throw new DatasetParseError({ source, line: number }, `line longer than ${maxLineLength} characters`);
      }
    }
  }
  if (heldCr || partsLength > 0) yield line('');
}
