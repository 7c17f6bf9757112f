import type { LatencySummary } from '../test/support/local-instance';
import type { BenchResult } from './types';

/** A row of request latencies: the p99 as the headline figure, the median and the fastest request beside it. */
export function latencyResult(name: string, latency: LatencySummary, minMs: number): BenchResult {
  return {
    case: name,
    value: latency.p99Ms,
    unit: 'ms p99',
    medianMs: latency.p50Ms,
    minMs,
    iterations: latency.count,
  };
}
