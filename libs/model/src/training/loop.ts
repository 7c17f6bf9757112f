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
  /** First 0-based step to run: the steps before it were done by an interrupted run restored from a checkpoint. */
  readonly startStep?: number;
  /** In-training checkpoints, so an interrupted run loses at most a few steps. */
  readonly checkpoint?: LoopCheckpoint;
}

/** When the loop saves its state: every `everySteps` steps or `everyMs` ms, whichever comes first, and on abort. */
export interface LoopCheckpoint {
  readonly everySteps?: number;
  readonly everyMs?: number;
  /**
   * Saves the state after `stepsDone` steps (variables as they are between steps). Not called after the last step
   * (the finished result supersedes it) nor when no step ran since the last save.
   */
  readonly save: (stepsDone: number) => void | Promise<void>;
}

/** In-training checkpoint cadence unless a caller says otherwise: 50 steps or 60 s, whichever first. */
export const CHECKPOINT_DEFAULTS = { everySteps: 50, everyMs: 60_000 } as const;

export interface TrainLoopResult {
  /** Steps done in all, counting those before `startStep`. */
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
  const { totalSteps, progressEvery = 1, signal, maxDurationMs, startStep = 0, checkpoint } = options;
  if (!Number.isInteger(totalSteps) || totalSteps < 0) {
    throw new RangeError(`totalSteps must be a non-negative integer, got ${totalSteps}`);
  }
  if (!Number.isInteger(progressEvery) || progressEvery <= 0) {
    throw new RangeError(`progressEvery must be a positive integer, got ${progressEvery}`);
  }
  if (!Number.isInteger(startStep) || startStep < 0 || startStep > totalSteps) {
    throw new RangeError(`startStep must be an integer in 0..${totalSteps}, got ${startStep}`);
  }
  const started = performance.now();
  let lastMetrics: StepMetrics | undefined;
  let stepsDone = startStep;
  let stopReason: TrainLoopResult['stopReason'] = 'completed';
  let savedStep = startStep;
  let savedAt = started;
  const save = async () => {
    if (checkpoint === undefined || stepsDone === savedStep) return;
    await checkpoint.save(stepsDone);
    savedStep = stepsDone;
    savedAt = performance.now();
  };
  const everySteps = checkpoint?.everySteps ?? CHECKPOINT_DEFAULTS.everySteps;
  const everyMs = checkpoint?.everyMs ?? CHECKPOINT_DEFAULTS.everyMs;
  for (let step = startStep; step < totalSteps; step++) {
    if (signal?.aborted) {
      stopReason = 'aborted';
      // What ran since the last save survives the interruption.
      await save();
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
    if (
      stepsDone < totalSteps &&
      (stepsDone - savedStep >= everySteps || performance.now() - savedAt >= everyMs)
    ) {
      await save();
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { stepsDone, stopReason, elapsedMs: performance.now() - started, lastMetrics };
}
