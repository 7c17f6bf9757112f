/** What the command-line scripts share: flags and usage errors (exit code 2), integer flags, and the main() wrapper. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { type TrainTestDataset } from '@maskgen/data';
import { DatasetNameError, loadDatasetByName } from '@maskgen/pipeline';

export class UsageError extends Error {}

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

type Flags<O extends FlagOptions> = ReturnType<
  typeof parseArgs<{ options: O & { help: { type: 'boolean' } }; strict: true; allowPositionals: false }>
>['values'];

/**
 * The script's flags (plus --help; no positionals), an unknown or malformed one reported as a UsageError.
 * undefined after printing `usage` for --help.
 */
export function parseFlags<const O extends FlagOptions>(options: O, usage: string): Flags<O> | undefined {
  let values: Flags<O>;
  try {
    values = parseArgs({
      options: { ...options, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  // The generic values type does not resolve here; the caller's does.
  if ((values as { help?: boolean }).help === true) {
    console.log(usage);
    return undefined;
  }
  return values;
}

/**
 * Flags of the experiment scripts that sample a trained pipeline (class-balance, ess-variants): the dataset, its
 * profile and seed, how many samples with which sampling seeds, where the pipeline is kept and where results go.
 */
export const EXPERIMENT_FLAGS = {
  dataset: { type: 'string' },
  profile: { type: 'string', default: 'cpu' },
  seed: { type: 'string' },
  samples: { type: 'string' },
  'sampling-seeds': { type: 'string' },
  'work-dir': { type: 'string', default: '.data/report' },
  out: { type: 'string' },
} as const;

/** Parses a non-negative integer flag ≥ min; undefined when the flag is absent. */
export function integerArg(flag: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || !Number.isSafeInteger(Number(raw))) {
    throw new UsageError(`${flag} must be an integer ≥ ${min}, got '${raw}'`);
  }
  return Number(raw);
}

/** Parses a finite number ≥ 0 (a choice temperature, a guidance scale), else a UsageError. */
export function numberArg(flag: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`${flag} must be a number ≥ 0, got '${raw}'`);
  }
  return value;
}

/** Runs main and sets the exit code: its result, 2 for a UsageError (with the usage text), 1 for anything else. */
export function runMain(main: () => Promise<number> | number, usage: string): void {
  // Through a promise, so a synchronous throw in main is reported the same way as a rejection.
  Promise.resolve()
    .then(main)
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error: unknown) => {
        if (error instanceof UsageError) {
          console.error(`error: ${error.message}\n${usage}`);
          process.exitCode = 2;
        } else {
          console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
          process.exitCode = 1;
        }
      },
    );
}

/** `loadDatasetByName` with an unknown name reported as a usage error. */
export function loadDatasetArg(name: string, seed: number): TrainTestDataset {
  try {
    return loadDatasetByName(name, { seed });
  } catch (error) {
    if (error instanceof DatasetNameError) throw new UsageError(error.message);
    throw error;
  }
}
