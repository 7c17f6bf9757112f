import type { JobName, QueueName } from '@maskgen/contracts';
import type { Logger } from 'pino';

export interface JobContext {
  queue: QueueName;
  /** The job's name (one method may handle several). */
  job: JobName;
  jobId: string;
  attempt: number;
  /** True when a failure now fails the job for good (no retry left). */
  isFinalAttempt: boolean;
  /**
   * Whether throwing `error` now ends the job for good, so the handler must record the failure (run or
   * model failed). False for a transient database error with retries left: the job runs again later
   * (TRANSIENT_DB_RETRY) and the handler must leave the state as it is.
   */
  failsForGood(error: unknown): boolean;
  /** Logger whose lines carry queue, job id and (when the payload has one) run id. */
  logger: Logger;
  /**
   * Aborted when the job's run or model is cancelled (from any process; reason: RunCancelledError,
   * ModelCancelledError) or when
   * the worker lost the job's lock (reason: JobLockLostError; another worker may already run it, so
   * the job must stop writing and leave the run's state alone), and, on queues that hand jobs back
   * (QueueWorkerOptions.handBackOnShutdown), when the worker shuts down (reason: WorkerShutdownError; the job
   * saves what it can resume from and throws the reason, and goes back to the queue). Long work checks it
   * between steps.
   */
  signal: AbortSignal;
  /** Reports progress (0..1) on the BullMQ job. */
  reportProgress(fraction: number): Promise<void>;
}

export type JobHandler<P> = (payload: P, context: JobContext) => Promise<unknown>;

/** The reason of a job's signal when its run was cancelled. */
export class RunCancelledError extends Error {
  constructor(runId: string) {
    super(`run ${runId} was cancelled`);
    this.name = 'RunCancelledError';
  }
}

/** The reason of a training job's signal when its model was cancelled (or deleted). */
export class ModelCancelledError extends Error {
  /** `how`: what stopped it, when not a cancel ('deleted', 'failed in another stage'). */
  constructor(modelId: string, how = 'cancelled') {
    super(
      how === 'cancelled' || how === 'deleted' ? `model ${modelId} was ${how}` : `model ${modelId} ${how}`,
    );
    this.name = 'ModelCancelledError';
  }
}

/** The reason of a job's signal when its lock could not be renewed: the job belongs to someone else now. */
export class JobLockLostError extends Error {
  constructor(jobId: string) {
    super(`lost the lock of job ${jobId}; another worker may be running it`);
    this.name = 'JobLockLostError';
  }
}

/** True when the job lost its lock: stop, write nothing more, and do not settle the run or shard. */
export function lockLost(context: Pick<JobContext, 'signal'>): boolean {
  return context.signal.aborted && context.signal.reason instanceof JobLockLostError;
}

/**
 * The reason of a job's signal when its worker shuts down on a queue whose jobs are handed back (training): the
 * job saves what it resumes from, throws this, and the processor puts it back in the queue for the next worker.
 */
export class WorkerShutdownError extends Error {
  constructor() {
    super('the worker is shutting down; the job goes back to the queue');
    this.name = 'WorkerShutdownError';
  }
}

/** True when the job was stopped by its worker's shutdown, to be handed back (not a cancel, not a failure). */
export function shuttingDown(context: Pick<JobContext, 'signal'>): boolean {
  return context.signal.aborted && context.signal.reason instanceof WorkerShutdownError;
}
