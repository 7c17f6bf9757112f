/**
 * Reading a metric's better direction. The directions themselves come from the API (GET /runs/compare's
 * betterDirection), so the CLI and the dashboard never keep a table of their own; null marks bookkeeping figures
 * (counts, means, diagnostics), which are shown as plain numbers, never ranked or drawn as bars.
 */
export type MetricDirection = 'lower' | 'higher';

/** "lower is better", "higher is better", or '' for a bookkeeping figure. */
export function betterLabel(direction: MetricDirection | null | undefined): string {
  return direction ? `${direction} is better` : '';
}

/** Which of `values` is best (indices; ties all win); none for bookkeeping figures or fewer than two values. */
export function bestIndices(
  direction: MetricDirection | null | undefined,
  values: readonly (number | undefined)[],
): number[] {
  const finite = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (!direction || finite.length < 2) return [];
  const best = direction === 'lower' ? Math.min(...finite) : Math.max(...finite);
  return values.flatMap((v, i) => (v === best ? [i] : []));
}

/** What a model metric of the critic's calibration means, for the model page and `models show` (else undefined). */
const MODEL_METRIC_NOTES: Record<string, string> = {
  criticRealDistance: 'mean critic code distance on real test grids',
  criticCorruptedDistance: 'the same with 20 % of their tokens replaced',
  criticFalsePositiveRate:
    'critic false positives: share of real test tokens ESS (default threshold) would re-mask as unrealistic',
  criticRealTStar: 't* of ESS on the real test grids',
  criticFlaggedShare: 'share of real test tokens the critic disagrees with (code distance > 0)',
};

export function modelMetricNote(name: string): string | undefined {
  return MODEL_METRIC_NOTES[name];
}
