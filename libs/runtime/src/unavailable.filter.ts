import { type ArgumentsHost, Catch, Logger, ServiceUnavailableException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { isDatabaseUnreachable } from '@maskgen/persistence';
import { QueueUnavailableError } from '@maskgen/queues';
import type { Response } from 'express';

/** Seconds a client is told to wait before retrying while the database or the queue is unreachable. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * The one global exception filter: a database outage (connection refused or cut, admin shutdown, "cannot
 * connect now", class 08; classified by libs/persistence, as the workers' retries are) answers 503 with
 * Retry-After, since the client may simply retry, instead of 500, which means a bug; so does an unreachable
 * job queue (QueueUnavailableError: the creating endpoints took back what they stored). Everything else is
 * rendered by Nest's own filter.
 */
@Catch()
export class UnavailableFilter extends BaseExceptionFilter {
  private readonly log = new Logger('UnavailableFilter');

  override catch(exception: unknown, host: ArgumentsHost): void {
    const queueDown = exception instanceof QueueUnavailableError;
    if (host.getType() === 'http' && (queueDown || isDatabaseUnreachable(exception))) {
      const response = host.switchToHttp().getResponse<Response>();
      // A streamed export that already sent its headers can only be cut off, as before.
      if (!response.headersSent) {
        this.log.warn(`503: ${exception instanceof Error ? exception.message : String(exception)}`);
        response.setHeader('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
        const what = queueDown
          ? 'The job queue is unavailable; nothing was created'
          : 'The database is unavailable';
        super.catch(new ServiceUnavailableException(`${what}; retry shortly`, { cause: exception }), host);
        return;
      }
    }
    super.catch(exception, host);
  }
}
