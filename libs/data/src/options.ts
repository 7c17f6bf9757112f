export type UcrFormat = 'ts' | 'tsv';

/**
 * What to do with missing values (`?` in `.ts`, `NaN` in `.tsv`).
 * - `reject` (default): throw a DatasetParseError naming the first missing value.
 * - `interpolate`: fill each gap linearly between its nearest known neighbours;
 *   leading/trailing gaps take the nearest known value.
 */
export type MissingValuePolicy = 'reject' | 'interpolate';

/**
 * What to do when series differ in length.
 * - `reject` (default): throw a DatasetParseError naming the first series whose
 *   length differs from the first series (or from the header's `@seriesLength`).
 * - `resample`: linearly resample every series to `targetLength`, which defaults
 *   to the most common length in the training split (ties go to the longer length).
 */
export type LengthPolicy = 'reject' | 'resample';

/** Guards so an upload cannot exhaust memory. All counts are per file. */
export interface ParseLimits {
  maxRows: number;
  maxSeriesLength: number;
  /** Total number of values in one file (20M values = 80 MB as float32). */
  maxTotalValues: number;
  maxClasses: number;
  maxLabelLength: number;
}

export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxRows: 100_000,
  maxSeriesLength: 100_000,
  maxTotalValues: 20_000_000,
  maxClasses: 1_000,
  maxLabelLength: 256,
});

export interface UcrParseOptions {
  /**
   * Input format. When omitted: the source name's extension (`.ts`, `.ts.txt`, `.tsv`),
   * else the content (a first line starting with `@` or `#` means `.ts`).
   */
  format?: UcrFormat;
  missing?: MissingValuePolicy;
  length?: LengthPolicy;
  /** Length every series must have (`reject`) or is resampled to (`resample`). */
  targetLength?: number;
  limits?: Partial<ParseLimits>;
}

export function resolveLimits(limits: Partial<ParseLimits> | undefined): ParseLimits {
  const resolved = { ...DEFAULT_PARSE_LIMITS, ...limits };
  for (const [key, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`limits.${key} must be a positive integer, got ${String(value)}`);
    }
  }
  return resolved;
}
