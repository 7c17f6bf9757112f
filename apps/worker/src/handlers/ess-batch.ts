import type { NewEssBatch, RunEssSummary } from '@maskgen/persistence';
import type { GenerateResult } from '@maskgen/pipeline';

/**
 * What a run records of one ESS sampler call: its resolved settings, its LF t* (shared by the call unless the
 * library's perSampleTStar, which the API does not offer: then the smallest) and how many samples the critic judged
 * worse after ESS (mean LF code distance after > before). Null for naive calls.
 */
export function essBatchOf(
  result: Pick<GenerateResult, 'essConfig' | 'tStar' | 'critic'>,
): Pick<NewEssBatch, 'config' | 'tStar' | 'criticWorse'> | null {
  if (result.essConfig === null || result.tStar === null || result.tStar.length === 0) return null;
  // The samples' own flags (float32 means, as stored), so the count and the flags read back agree.
  const criticWorse = (result.critic ?? []).filter((critic) => critic.summary.worseUnderEss === true).length;
  return { config: { ...result.essConfig }, tStar: Math.min(...result.tStar), criticWorse };
}

/**
 * Diagnostics of an ESS run (issue 19): the distribution of t* over its samples, and the share of samples the critic
 * judged worse after ESS. None for naive and synthetic runs.
 */
export function essMetrics(
  ess: RunEssSummary,
): { name: string; value: number; details: Record<string, unknown> }[] {
  if (ess.samples === 0) return [];
  const tStarSum = Object.entries(ess.tStarHistogram).reduce((sum, [t, n]) => sum + Number(t) * n, 0);
  return [
    {
      name: 'ess_t_star',
      value: tStarSum / ess.samples,
      details: { samplesPerTStar: ess.tStarHistogram, batches: ess.batches.length },
    },
    {
      name: 'ess_critic_worse_share',
      value: ess.criticWorse / ess.samples,
      details: { worse: ess.criticWorse, samples: ess.samples },
    },
  ];
}
