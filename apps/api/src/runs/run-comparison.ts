import { type FeatureMatrix, frechetDistance, pairedBootstrapFidDifference } from '@maskgen/metrics';
import { bytesToFloat32, type RunEntity, type RunFeaturesRepository } from '@maskgen/persistence';

/** Which way is better for each metric a run can have (null: a count or a diagnostic, neither way). */
const BETTER: Readonly<Record<string, 'lower' | 'higher' | null>> = {
  fid: 'lower',
  class_fid: 'lower',
  class_tv: 'lower',
  rocket_fid: 'lower',
  critic_distance: 'lower',
  ess_critic_worse_share: 'lower',
  inception_score: 'higher',
  cas: 'higher',
  evaluated_samples: null,
  ess_t_star: null,
};

export function betterDirections(names: Iterable<string>): Record<string, 'lower' | 'higher' | null> {
  return Object.fromEntries([...new Set(names)].sort().map((name) => [name, BETTER[name] ?? null]));
}

/** `a,b` → [[a], [b]] (each run its own group); `a1,a2;b1,b2` → [[a1, a2], [b1, b2]] (sampling-seed groups). */
export function parseCompareGroups(raw: string): string[][] {
  const split = (text: string) =>
    text
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id.length > 0);
  if (!raw.includes(';')) return split(raw).map((id) => [id]);
  return raw
    .split(';')
    .map(split)
    .filter((group) => group.length > 0);
}

export interface GroupFid {
  readonly runIds: string[];
  /** Pooled over the group's runs: all their evaluated samples against the real test split. */
  readonly samples: number;
  readonly fid: number;
  readonly meanTerm: number;
  readonly covarianceTerm: number;
}

export interface FidComparison {
  readonly metric: 'fid';
  /** Group indices: the first group is the baseline every other group is compared with. */
  readonly baseline: number;
  readonly other: number;
  /** FID(baseline) − FID(other) on the paired pooled samples: positive when `other` is better. */
  readonly difference: number;
  readonly ci: {
    readonly low: number;
    readonly high: number;
    readonly level: number;
    readonly replicates: number;
  };
  /** Pairs resampled: per run pair (k-th run of each group), its first min(n_a, n_b) samples. */
  readonly pairedSamples: number;
  /** The group whose FID is lower with the CI excluding 0, else null (no difference shown). */
  readonly better: 'baseline' | 'other' | null;
}

export interface CompareConfidence {
  readonly groups: (GroupFid | null)[];
  readonly comparisons: FidComparison[];
  /** Why there are no comparisons (null when there are). */
  readonly unavailable: string | null;
}

const cache = new Map<string, CompareConfidence>();
const CACHE_SIZE = 32;

function matrix(bytes: Buffer, rows: number, dim: number): FeatureMatrix {
  return { rows, dim, data: bytesToFloat32(bytes) };
}

function concat(parts: FeatureMatrix[], dim: number): FeatureMatrix {
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  const data = new Float32Array(rows * dim);
  let offset = 0;
  for (const part of parts) {
    data.set(part.data.subarray(0, part.rows * dim), offset);
    offset += part.rows * dim;
  }
  return { rows, dim, data };
}

/**
 * Pooled FID per group and, against the first group, the FID difference with a paired bootstrap CI
 * (BOOTSTRAP_REPLICATES replicates, seeded, so an answer is reproducible and cached per set of stored features).
 * Needs runs of one checkpoint with features stored by their evaluation, and groups of equal size (the k-th runs
 * of the groups are paired, e.g. the same sampling seed).
 */
export async function compareWithConfidence(
  repository: RunFeaturesRepository,
  groups: string[][],
  runs: readonly RunEntity[],
): Promise<CompareConfidence> {
  const none = (reason: string): CompareConfidence => ({
    groups: groups.map(() => null),
    comparisons: [],
    unavailable: reason,
  });
  const models = new Set(runs.map((run) => run.modelId));
  const modelId = runs[0]?.modelId;
  if (models.size !== 1 || !modelId) return none('the runs are not samples of one model checkpoint');
  const stored = await repository.forRuns(
    runs.map((run) => run.id),
    modelId,
  );
  const missing = runs.filter((run) => !stored.has(run.id)).map((run) => run.id);
  if (missing.length > 0) return none(`no evaluation features stored for run(s) ${missing.join(', ')}`);
  const key = JSON.stringify([groups, runs.map((run) => stored.get(run.id)!.createdAt.getTime())]);
  const hit = cache.get(key);
  if (hit) return hit;
  const first = stored.get(runs[0].id)!;
  const dim = first.dim;
  if ([...stored.values()].some((f) => f.dim !== dim || !f.real.equals(first.real))) {
    return none('the runs were evaluated against different real features');
  }
  const real = matrix(first.real, first.realCount, dim);
  const generated = (id: string) => {
    const f = stored.get(id)!;
    return matrix(f.generated, f.generatedCount, dim);
  };
  const groupFids = groups.map((ids): GroupFid => {
    const pooled = concat(ids.map(generated), dim);
    const fid = frechetDistance(real, pooled);
    return {
      runIds: ids,
      samples: pooled.rows,
      fid: fid.distance,
      meanTerm: fid.meanTerm,
      covarianceTerm: fid.covarianceTerm,
    };
  });
  const comparisons: FidComparison[] = [];
  let unavailable: string | null = groups.length < 2 ? 'one group: nothing to compare' : null;
  for (let other = 1; other < groups.length; other++) {
    if (groups[other].length !== groups[0].length) {
      unavailable = 'groups of different sizes cannot be paired';
      continue;
    }
    const a: FeatureMatrix[] = [];
    const b: FeatureMatrix[] = [];
    groups[0].forEach((id, k) => {
      const fa = generated(id);
      const fb = generated(groups[other][k]);
      const n = Math.min(fa.rows, fb.rows);
      a.push({ ...fa, rows: n });
      b.push({ ...fb, rows: n });
    });
    const result = await pairedBootstrapFidDifference(real, concat(a, dim), concat(b, dim), { seed: 0 });
    comparisons.push({
      metric: 'fid',
      baseline: 0,
      other,
      difference: result.difference,
      ci: { low: result.low, high: result.high, level: result.level, replicates: result.replicates },
      pairedSamples: result.samples,
      better: result.low > 0 ? 'other' : result.high < 0 ? 'baseline' : null,
    });
  }
  const answer = { groups: groupFids, comparisons, unavailable };
  cache.set(key, answer);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return answer;
}
