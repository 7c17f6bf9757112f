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

/** A metric as GET /runs/:id/metrics and GET /evaluations/:id give it. */
export interface MetricWithDetails {
  readonly name: string;
  readonly value: number;
  readonly details?: Record<string, unknown> | null;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isCounts = (value: unknown): value is number[] => Array.isArray(value) && value.every(isNumber);

/**
 * The real-data value to read a metric against, as text (null when there is none): FID's real train-vs-test FID of
 * the same judge with its terms (and the run's own terms), the real test split's IS, the judge's predicted-class
 * histogram of the real test split, and from the model (when given) the real-data accuracy of the judge for CAS and
 * the critic's distance on real grids for critic_distance. The same text in `runs show` and on the run page.
 */
export function metricReference(
  metric: MetricWithDetails,
  format: (value: number) => string,
  modelMetrics?: Record<string, number | undefined>,
): string | null {
  const details = metric.details ?? {};
  const reference = isRecord(details.reference) ? details.reference : {};
  switch (metric.name) {
    case 'fid': {
      const real = isRecord(reference.trainVsTest) ? reference.trainVsTest : null;
      const own =
        isNumber(details.meanTerm) && isNumber(details.covarianceTerm)
          ? `; this run: mean ${format(details.meanTerm)} + cov ${format(details.covarianceTerm)}`
          : '';
      if (real === null || !isNumber(real.fid)) return own === '' ? null : own.slice(2);
      const terms =
        isNumber(real.meanTerm) && isNumber(real.covarianceTerm)
          ? ` (mean ${format(real.meanTerm)} + cov ${format(real.covarianceTerm)})`
          : '';
      return `real train vs test ${format(real.fid)}${terms}${own}`;
    }
    case 'inception_score':
      return isNumber(reference.realTest) ? `real test ${format(reference.realTest)}` : null;
    case 'class_tv': {
      const predicted = isRecord(details.predicted) ? details.predicted : {};
      if (!isCounts(predicted.real)) return null;
      const generated = isCounts(predicted.generated) ? `; generated ${predicted.generated.join(' / ')}` : '';
      return `real test classes ${predicted.real.join(' / ')} (TV 0)${generated}`;
    }
    case 'cas': {
      const accuracy = modelMetrics?.classifierTestAccuracy;
      return isNumber(accuracy) ? `judge trained on real data ${format(accuracy)}` : null;
    }
    case 'critic_distance': {
      const distance = modelMetrics?.criticRealDistance;
      return isNumber(distance) ? `real test grids ${format(distance)}` : null;
    }
    default:
      return null;
  }
}
