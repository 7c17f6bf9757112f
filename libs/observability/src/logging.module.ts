import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type DynamicModule,
  Inject,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  RequestMethod,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { NestPinoLogger } from './nest-logger';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
const REQUEST_ID_HEADER = 'x-request-id';
/**
 * Every path, the root included. path-to-regexp v8 (express 5) refuses the bare `*`; `{/*splat}` without a leading
 * slash also matches `/` (what nestjs-pino, which this module replaced, registered).
 */
const EVERY_ROUTE = { path: '{/*splat}', method: RequestMethod.ALL };

/** Accepts a caller's request id when it looks sane, so a trace can cross services; otherwise makes one. */
function requestId(request: IncomingMessage, response: ServerResponse): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  const id = typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
  response.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/** One JSON line per finished HTTP request (pino-http), with its request id; health probes are left out. */
export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: requestId,
    customProps: (request) => ({ requestId: request.id }),
    // Credentials must never reach the logs.
    redact: ['req.headers["x-api-key"]', 'req.headers.authorization', 'req.headers.cookie'],
    // Health probes every few seconds would drown the useful lines.
    autoLogging: { ignore: (request) => (request.url ?? '').startsWith('/health') },
  });
}

/**
 * The root logger for injection (ROOT_LOGGER), Nest's logger over it (NestPinoLogger, for app.useLogger) and the
 * request log on every route of an HTTP app. pino and pino-http only: nestjs-pino wants Node >= 22 (issue 20 item 7).
 */
@Module({})
export class LoggingModule implements NestModule {
  constructor(@Inject(ROOT_LOGGER) private readonly logger: Logger) {}

  static forRoot(logger: Logger): DynamicModule {
    return {
      module: LoggingModule,
      global: true,
      providers: [
        { provide: ROOT_LOGGER, useValue: logger },
        { provide: NestPinoLogger, useValue: new NestPinoLogger(logger) },
      ],
      exports: [ROOT_LOGGER, NestPinoLogger],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(requestLogger(this.logger)).forRoutes(EVERY_ROUTE);
  }
}
