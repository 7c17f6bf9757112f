import type { QueueName } from '@maskgen/contracts';
import type { Logger } from 'pino';

export interface JobContext {
  queue: QueueName;
  jobId: string;
  attempt: number;
  /** True when a failure now fails the job for good (no retry left). */
  isFinalAttempt: boolean;
  /** Logger whose lines carry queue, job id and (when the payload has one) run id. */
  logger: Logger;
  /** Aborted when the job's run is cancelled (from any process); long work checks it between steps. */
  signal: AbortSignal;
  /** Reports progress (0..1) on the BullMQ job. */
  reportProgress(fraction: number): Promise<void>;
}

export type JobHandler<P> = (payload: P, context: JobContext) => Promise<unknown>;
