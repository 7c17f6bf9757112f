/** Socket errors of a connection that could not be opened or was cut. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
/**
 * SQLSTATEs of a server going away or not taking connections: admin shutdown, crash shutdown,
 * cannot connect now, too many connections. Class 08 (connection exception) is matched by prefix.
 */
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
/** SQLSTATEs of a transaction the server aborted and that succeeds when run again. */
const RETRY_TRANSACTION_CODES = new Set(['40001', '40P01']);
/** node-postgres and TypeORM report some dropped connections without a code. */
const UNAVAILABLE_MESSAGES = [
  /Connection terminated/i,
  /connection error and is not queryable/i,
  /timeout exceeded when trying to connect/i,
  /Connection is not established/i,
  // TypeORM's PostgresQueryRunner releases itself when its connection emits an error (e.g. the backend was
  // terminated), so the transaction's next query or ROLLBACK throws this instead of the connection error.
  /Query runner already released/i,
  // The same from PostgresQueryRunner.query on a runner its dead connection released (QueryRunnerProviderAlready-
  // ReleasedError), met by a shard's completion transaction when its backend was terminated.
  /query runner was already released/i,
];

/** Looks through TypeORM's driverError, `cause` and AggregateError members for a match. */
function matches(error: unknown, test: (code: string | undefined, message: string) => boolean): boolean {
  const seen = new Set<unknown>();
  const visit = (candidate: unknown): boolean => {
    if (typeof candidate !== 'object' || candidate === null || seen.has(candidate)) return false;
    seen.add(candidate);
    const { code, message, driverError, cause, errors } = candidate as {
      code?: unknown;
      message?: unknown;
      driverError?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (test(typeof code === 'string' ? code : undefined, typeof message === 'string' ? message : '')) {
      return true;
    }
    return (
      visit(driverError) || visit(cause) || (Array.isArray(errors) && errors.some((member) => visit(member)))
    );
  };
  return visit(error);
}

/** The database cannot be reached right now (down, restarting, connection cut), as opposed to a bug or bad input. */
export function isDatabaseUnreachable(error: unknown): boolean {
  return matches(
    error,
    (code, message) =>
      (code !== undefined &&
        (SOCKET_CODES.has(code) || UNAVAILABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) ||
      UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message)),
  );
}

/**
 * The one test for "this database error goes away if the work is simply done again later": the
 * database was unreachable, or it aborted the transaction for a serialization failure or deadlock.
 * Jobs retry these with backoff instead of failing the run (apps/worker QueueProcessor).
 */
export function isTransientDbError(error: unknown): boolean {
  return (
    isDatabaseUnreachable(error) ||
    matches(error, (code) => code !== undefined && RETRY_TRANSACTION_CODES.has(code))
  );
}
