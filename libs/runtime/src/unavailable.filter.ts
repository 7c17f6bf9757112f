import { type ArgumentsHost, Catch, Logger, ServiceUnavailableException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';

/** Seconds a client is told to wait before retrying while the database is unreachable. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** Socket errors of a connection that could not be opened or was cut. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
/** SQLSTATEs of a server going away or not taking connections (class 08 is matched by prefix). */
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
/** node-postgres reports some dropped connections without a code. */
const UNAVAILABLE_MESSAGES = [
  /Connection terminated/i,
  /connection error and is not queryable/i,
  /timeout exceeded when trying to connect/i,
];

/**
 * Whether the database cannot be reached right now, as opposed to a bug or bad input. Looks through TypeORM's
 * driverError, `cause` and AggregateError members.
 */
export function isDatabaseUnavailable(error: unknown, seen = new Set<unknown>()): boolean {
  if (typeof error !== 'object' || error === null || seen.has(error)) return false;
  seen.add(error);
  const { code, message, driverError, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (
    typeof code === 'string' &&
    (SOCKET_CODES.has(code) || UNAVAILABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))
  )
    return true;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message)))
    return true;
  return (
    isDatabaseUnavailable(driverError, seen) ||
    isDatabaseUnavailable(cause, seen) ||
    (Array.isArray(errors) && errors.some((member) => isDatabaseUnavailable(member, seen)))
  );
}

/**
 * The one global exception filter: a database outage (connection refused or cut, admin shutdown, "cannot
 * connect now", class 08) answers 503 with Retry-After, since the client may simply retry, instead of 500,
 * which means a bug. Everything else is rendered by Nest's own filter.
 */
@Catch()
export class UnavailableFilter extends BaseExceptionFilter {
  private readonly log = new Logger('UnavailableFilter');

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() === 'http' && isDatabaseUnavailable(exception)) {
      const response = host.switchToHttp().getResponse<Response>();
      // A streamed export that already sent its headers can only be cut off, as before.
      if (!response.headersSent) {
        this.log.warn(`503: ${exception instanceof Error ? exception.message : String(exception)}`);
        response.setHeader('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
        super.catch(
          new ServiceUnavailableException('The database is unavailable; retry shortly', { cause: exception }),
          host,
        );
        return;
      }
    }
    super.catch(exception, host);
  }
}
