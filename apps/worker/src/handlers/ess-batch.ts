import type { NewEssBatch, RunEssSummary } from '@maskgen/persistence';
import type { GenerateResult, SampleCritic } from '@maskgen/pipeline';

const mean = (values: Float64Array): number => values.reduce((sum, v) => sum + v, 0) / values.length;

/**
 * A sample's mean LF critic code distance before ESS and after it (null for a naive sample), rounded to float32 as
 * the samples table stores them (critic_mean_before, critic_mean), so the per-sample flag read back from the table
 * and the run's count of samples made worse agree.
 */
export function criticMeans(critic: SampleCritic): { before: number; after: number | null } {
  const { distancesBefore, distancesAfter } = critic.lf;
  return {
    before: Math.fround(mean(distancesBefore)),
    after: distancesAfter === null ? null : Math.fround(mean(distancesAfter)),
  };
}

/**
 * What a run records of one ESS sampler call: its resolved settings, its LF t* (shared by the call unless the
 * library's perSampleTStar, which the API does not offer: then the smallest) and how many samples the critic judged
 * worse after ESS (mean LF code distance after > before). Null for naive calls.
 */
export function essBatchOf(
  result: Pick<GenerateResult, 'essConfig' | 'tStar' | 'critic'>,
): Pick<NewEssBatch, 'config' | 'tStar' | 'criticWorse'> | null {
  if (result.essConfig === null || result.tStar === null || result.tStar.length === 0) return null;
  let criticWorse = 0;
  for (const critic of result.critic ?? []) {
    const { before, after } = criticMeans(critic);
    if (after !== null && after > before) criticWorse++;
  }
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
