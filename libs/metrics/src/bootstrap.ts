import { SeededRng } from '@maskgen/tensor';
import {
  assertFeatureMatrix,
  type FeatureMatrix,
  featureStats,
  frechetDistanceToReference,
  type FrechetResult,
  frechetReference,
  type GaussianStats,
} from './frechet';

/** Replicates of the paired bootstrap unless asked otherwise (issue 19: B = 200). */
export const BOOTSTRAP_REPLICATES = 200;

export interface PairedBootstrapOptions {
  /** Default BOOTSTRAP_REPLICATES. */
  readonly replicates?: number;
  /** Two-sided percentile interval level, default 0.95. */
  readonly level?: number;
  /** Seeds the index draws (the same draws for both sides). */
  readonly seed?: string | number;
  readonly signal?: AbortSignal;
}

export interface PairedBootstrapResult {
  /** FID(a) − FID(b) on the full sets: positive when b is closer to the real set. */
  readonly difference: number;
  readonly a: FrechetResult;
  readonly b: FrechetResult;
  /** Percentile interval of the replicate differences. */
  readonly low: number;
  readonly high: number;
  readonly level: number;
  readonly replicates: number;
  /** Paired rows resampled per replicate. */
  readonly samples: number;
}

function gather(features: FeatureMatrix, indices: Int32Array): FeatureMatrix {
  const { dim, data } = features;
  const out = new Float64Array(indices.length * dim);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    for (let j = 0; j < dim; j++) out[i * dim + j] = data[r * dim + j];
  }
  return { rows: indices.length, dim, data: out };
}

/** numpy's default (linear) quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

/**
 * Paired bootstrap of FID(a) − FID(b) against fixed real features: row i of `a` and row i of `b` are a pair
 * (e.g. sample i of two runs of one checkpoint with the same seed), each replicate draws n row indices with
 * replacement and applies the same draw to both sides, and the interval is the replicates' percentile interval.
 * The real side is not resampled: both FIDs are measured against the same judge's view of the same test split.
 * Yields to the event loop between replicates (each costs two 'dim'-sized symmetric eigendecompositions).
 */
export async function pairedBootstrapFidDifference(
  real: FeatureMatrix | GaussianStats,
  a: FeatureMatrix,
  b: FeatureMatrix,
  options: PairedBootstrapOptions = {},
): Promise<PairedBootstrapResult> {
  const replicates = options.replicates ?? BOOTSTRAP_REPLICATES;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(replicates) || replicates < 2) throw new RangeError(`bad replicates ${replicates}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`bad level ${level}`);
  assertFeatureMatrix(a, 'a');
  assertFeatureMatrix(b, 'b');
  if (a.rows !== b.rows) throw new RangeError(`paired sets need equal rows, got ${a.rows} and ${b.rows}`);
  if (a.dim !== b.dim) throw new RangeError(`feature dims differ: ${a.dim} vs ${b.dim}`);
  const reference = frechetReference('cov' in real ? real : featureStats(real));
  const fidA = frechetDistanceToReference(reference, featureStats(a));
  const fidB = frechetDistanceToReference(reference, featureStats(b));
  const rng = new SeededRng(options.seed ?? 0).fork('paired-bootstrap');
  const n = a.rows;
  const indices = new Int32Array(n);
  const differences: number[] = [];
  for (let k = 0; k < replicates; k++) {
    options.signal?.throwIfAborted();
    for (let i = 0; i < n; i++) indices[i] = rng.int(0, n);
    const da = frechetDistanceToReference(reference, featureStats(gather(a, indices))).distance;
    const db = frechetDistanceToReference(reference, featureStats(gather(b, indices))).distance;
    differences.push(da - db);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  differences.sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  return {
    difference: fidA.distance - fidB.distance,
    a: fidA,
    b: fidB,
    low: quantile(differences, tail),
    high: quantile(differences, 1 - tail),
    level,
    replicates,
    samples: n,
  };
}
