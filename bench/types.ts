import { type SeededRng, type TensorBackendInfo, type TensorBackendKind } from '@maskgen/tensor';

/** One benchmark family; add a file under bench/suites and list it in bench/suites/index.ts. */
export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  /** Backends worth running on (the runner skips unavailable ones). Defaults to every backend. */
  readonly backends?: readonly TensorBackendKind[];
  run(context: BenchContext): Promise<BenchResult[]>;
  /** A one-line verdict printed last (e.g. measured vs target ratios), after run. */
  summary?(): string;
}

export interface BenchContext {
  readonly backend: TensorBackendInfo;
  /** Deterministic inputs, forked per suite. */
  readonly rng: SeededRng;
  /** `--quick`: time as little as shows the suite works (suites may ignore it). */
  readonly quick?: boolean;
}

export interface BenchResult {
  /** What was measured, e.g. "n=512" or "[32,1024] forward". */
  readonly case: string;
  /** Headline throughput figure. */
  readonly value: number;
  readonly unit: string;
  readonly medianMs: number;
  readonly minMs: number;
  readonly iterations: number;
}
