import { lockLost, shuttingDown, type JobContext } from '@maskgen/queues';
import { UnrecoverableError } from 'bullmq';

/** What the failure policy needs of the job attempt that failed. */
export type Attempt = Pick<JobContext, 'signal' | 'failsForGood'>;

/**
 * What to do about an error a job threw, the same for every job of a run or a model:
 * - `lock-lost`: another worker owns the job now and settles it; write nothing, rethrow.
 * - `shutdown`: the worker hands the job back to the queue; rethrow (the caller may save a resume point first).
 * - `cancelled`: the run or model was cancelled; record the job as cancelled and return normally.
 * - `retry`: the job runs again (a transient error with retries left); leave the state as it is, rethrow.
 * - `fail`: the job fails for good; record the failure, then throw `rethrow` (UnrecoverableError when the error is
 *   permanent, so the queue does not spend its attempts on it).
 */
export type FailureVerdict =
  | { kind: 'lock-lost' | 'shutdown'; rethrow: unknown }
  | { kind: 'cancelled' }
  | { kind: 'retry'; rethrow: unknown }
  | { kind: 'fail'; message: string; rethrow: unknown };

/** Errors the same input raises again: failing at once beats retrying. */
export function isPermanentError(error: unknown): boolean {
  return error instanceof UnrecoverableError || error instanceof RangeError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The one failure policy of run and model jobs (see FailureVerdict). `permanent` widens what fails at once. */
export function judgeFailure(
  error: unknown,
  attempt: Attempt,
  permanent: (error: unknown) => boolean = isPermanentError,
): FailureVerdict {
  if (lockLost(attempt)) return { kind: 'lock-lost', rethrow: attempt.signal.reason };
  if (shuttingDown(attempt)) return { kind: 'shutdown', rethrow: attempt.signal.reason };
  if (attempt.signal.aborted) return { kind: 'cancelled' };
  const message = errorMessage(error);
  const isPermanent = isPermanentError(error) || permanent(error);
  if (isPermanent || attempt.failsForGood(error)) {
    return {
      kind: 'fail',
      message,
      rethrow:
        isPermanent && !(error instanceof UnrecoverableError) ? new UnrecoverableError(message) : error,
    };
  }
  return { kind: 'retry', rethrow: error };
}
