import { isDatabaseUnreachable } from '@maskgen/persistence';

/**
 * How long a queue operation may wait for a connection that has never been ready (Redis down since the
 * process started). Once connected, producer commands fail at once while Redis is unreachable
 * (no offline queue, see configureQueueBackend) or after QUEUE_COMMAND_TIMEOUT_MS when it hangs.
 */
export const QUEUE_CONNECT_TIMEOUT_MS = 3_000;

/** Longest a producer's Redis command may go unanswered (a hung, not a closed, Redis). */
export const QUEUE_COMMAND_TIMEOUT_MS = 5_000;

/** The queue backend could not be reached: nothing was enqueued, and doing it again later may succeed. */
export class QueueUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`The job queue is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'QueueUnavailableError';
  }
}

// ioredis' messages for a command refused or lost while disconnected (its errors carry no code).
const REDIS_UNREACHABLE_MESSAGES = [
  /Stream isn't writeable/i,
  /Connection is closed/i,
  /Command timed out/i,
  /Reached the max retries per request/i,
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH/,
];

/** Whether an error of a queue operation means the backend (Redis, or PostgreSQL for the local queue) is unreachable. */
export function isQueueUnreachable(error: unknown): boolean {
  if (error instanceof QueueUnavailableError || isDatabaseUnreachable(error)) return true;
  const message = error instanceof Error ? error.message : '';
  const code = (error as { code?: unknown } | null)?.code;
  return (
    REDIS_UNREACHABLE_MESSAGES.some((pattern) => pattern.test(message)) ||
    (typeof code === 'string' && REDIS_UNREACHABLE_MESSAGES[4].test(code))
  );
}

/** Runs `work` once `ready` resolved within QUEUE_CONNECT_TIMEOUT_MS; queue outages become QueueUnavailableError. */
export async function whenQueueReachable<T>(
  ready: () => Promise<unknown>,
  work: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new QueueUnavailableError(`not connected within ${QUEUE_CONNECT_TIMEOUT_MS} ms`)),
          QUEUE_CONNECT_TIMEOUT_MS,
        );
      }),
    ]);
    // Only started once connected: work is never left waiting to run after the caller was told it failed.
    return await work();
  } catch (error) {
    throw isQueueUnreachable(error) && !(error instanceof QueueUnavailableError)
      ? new QueueUnavailableError(error)
      : error;
  } finally {
    clearTimeout(timer);
  }
}
