import { QueueName } from '@maskgen/contracts';

export interface QueueWorkerOptions {
  /** Jobs one worker process runs at once. CPU/GPU stages run one at a time per process. */
  concurrency: number;
  /** How long a job may hold its lock between renewals; the sampler yields well within it. */
  lockDurationMs: number;
  /** How often stalled jobs are looked for. */
  stalledIntervalMs: number;
  /** Stalls tolerated before a job is failed instead of retried. */
  maxStalledCount: number;
  /** Attempts per job (1 = no retry) with exponential backoff from backoffMs. */
  attempts: number;
  backoffMs: number;
  /**
   * On shutdown, abort the running job (WorkerShutdownError) and hand it back to the queue instead of draining
   * it: training jobs checkpoint at the next step and resume elsewhere; shards and evaluations are short and drain.
   */
  handBackOnShutdown: boolean;
}

/** Worker options per queue. A Record over QueueName, so a new queue without options is a type error. */
export const QUEUE_WORKER_OPTIONS: Record<QueueName, QueueWorkerOptions> = {
  [QueueName.Train]: {
    concurrency: 1,
    lockDurationMs: 120_000,
    stalledIntervalMs: 60_000,
    maxStalledCount: 1,
    attempts: 2,
    backoffMs: 30_000,
    handBackOnShutdown: true,
  },
  [QueueName.Generate]: {
    concurrency: 1,
    lockDurationMs: 60_000,
    stalledIntervalMs: 30_000,
    maxStalledCount: 2,
    attempts: 3,
    backoffMs: 5_000,
    handBackOnShutdown: false,
  },
  [QueueName.Evaluate]: {
    concurrency: 1,
    lockDurationMs: 120_000,
    stalledIntervalMs: 60_000,
    maxStalledCount: 1,
    attempts: 2,
    backoffMs: 10_000,
    handBackOnShutdown: false,
  },
};

/**
 * Retries of a job after a transient database error (isTransientDbError: restart, cut connection,
 * serialization failure, deadlock). They are not BullMQ attempts: the job is delayed and runs again,
 * so a database restart does not use up attempts a real failure needs (flow children have one).
 * With these values a job waits out about 85 s of outage before it fails.
 */
export const TRANSIENT_DB_RETRY = { retries: 12, firstDelayMs: 500, maxDelayMs: 10_000 } as const;

/** Delay before transient retry number `retry` (0-based): exponential, capped. */
export function transientRetryDelayMs(retry: number): number {
  return Math.min(TRANSIENT_DB_RETRY.maxDelayMs, TRANSIENT_DB_RETRY.firstDelayMs * 2 ** retry);
}

/** Deployment-wide overrides of the per-queue lock timing (WORKER_LOCK_DURATION_MS, WORKER_STALLED_INTERVAL_MS). */
export interface LockTimingOverrides {
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/** The options a queue's BullMQ Worker is built with: the queue's record, with the configured overrides. */
export function bullWorkerOptions(queue: QueueName, overrides: LockTimingOverrides = {}) {
  const options = QUEUE_WORKER_OPTIONS[queue];
  return {
    concurrency: options.concurrency,
    lockDuration: overrides.lockDurationMs ?? options.lockDurationMs,
    stalledInterval: overrides.stalledIntervalMs ?? options.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount,
  };
}
