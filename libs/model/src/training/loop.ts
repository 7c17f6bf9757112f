import { assertTensorMemoryHeadroom } from '@maskgen/tensor';

/** Scalars a step reports (losses, perplexities, …); plain numbers so they are safe to log or send. */
export type StepMetrics = Readonly<Record<string, number>>;

export interface TrainProgress {
  /** 1-based number of the step just finished. */
  readonly step: number;
  readonly totalSteps: number;
  readonly learningRate: number;
  readonly metrics: StepMetrics;
  readonly elapsedMs: number;
}

export interface TrainLoopOptions {
  readonly totalSteps: number;
  /** Learning rate for a 0-based step index. */
  readonly learningRate: (step: number) => number;
  /** Runs one optimiser step and returns its metrics. Must dispose every tensor it creates. */
  readonly step: (step: number, learningRate: number) => StepMetrics | Promise<StepMetrics>;
  /** Called after every `progressEvery`-th step and after the last one; a returned promise is awaited. */
  readonly onProgress?: (progress: TrainProgress) => void | Promise<void>;
  readonly progressEvery?: number;
  /** Checked before every step; the step in flight always finishes, so variables are never half-updated. */
  readonly signal?: AbortSignal;
  /** Stop after this much wall time (checked between steps). */
  readonly maxDurationMs?: number;
  /** Names the work in errors, e.g. "stage-1 training (batch 32, length 150)". */
  readonly label?: string;
}

export interface TrainLoopResult {
  readonly stepsDone: number;
  readonly stopReason: 'completed' | 'aborted' | 'time-limit';
  readonly elapsedMs: number;
  /** Metrics of the last finished step, if any. */
  readonly lastMetrics?: StepMetrics;
}

/**
 * The shared training driver: runs steps in order, yields to the event loop between them (so a worker stays
 * responsive to health checks, cancellation and lock renewals), reports progress, and stops at step boundaries.
 */
export async function trainLoop(options: TrainLoopOptions): Promise<TrainLoopResult> {
  const { totalSteps, progressEvery = 1, signal, maxDurationMs } = options;
  if (!Number.isInteger(totalSteps) || totalSteps < 0) {
    throw new RangeError(`totalSteps must be a non-negative integer, got ${totalSteps}`);
  }
  if (!Number.isInteger(progressEvery) || progressEvery <= 0) {
    throw new RangeError(`progressEvery must be a positive integer, got ${progressEvery}`);
  }
  const started = performance.now();
  let lastMetrics: StepMetrics | undefined;
  let stepsDone = 0;
  let stopReason: TrainLoopResult['stopReason'] = 'completed';
  for (let step = 0; step < totalSteps; step++) {
    if (signal?.aborted) {
      stopReason = 'aborted';
      break;
    }
    if (maxDurationMs !== undefined && performance.now() - started >= maxDurationMs) {
      stopReason = 'time-limit';
      break;
    }
    const learningRate = options.learningRate(step);
    lastMetrics = await options.step(step, learningRate);
    stepsDone = step + 1;
    // A step that filled the wasm heap may have computed garbage (TensorMemoryExhaustedError says why).
    assertTensorMemoryHeadroom(`${options.label ?? 'training'}, step ${stepsDone}`);
    if (options.onProgress && (stepsDone % progressEvery === 0 || stepsDone === totalSteps)) {
      await options.onProgress({
        step: stepsDone,
        totalSteps,
        learningRate,
        metrics: lastMetrics,
        elapsedMs: performance.now() - started,
      });
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { stepsDone, stopReason, elapsedMs: performance.now() - started, lastMetrics };
}
