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
