import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
const REQUEST_ID_HEADER = 'x-request-id';

/** Accepts a caller's request id when it looks sane, so a trace can cross services; otherwise makes one. */
function requestId(request: IncomingMessage, response: ServerResponse): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  const id = typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
  response.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

@Module({})
export class LoggingModule {
  static forRoot(logger: Logger): DynamicModule {
    return {
      module: LoggingModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger,
            genReqId: requestId,
            customProps: (request) => ({ requestId: request.id }),
            // Credentials must never reach the logs.
            redact: ['req.headers["x-api-key"]', 'req.headers.authorization', 'req.headers.cookie'],
            // Health probes every few seconds would drown the useful lines.
            autoLogging: { ignore: (request) => (request.url ?? '').startsWith('/health') },
          },
        }),
      ],
      providers: [{ provide: ROOT_LOGGER, useValue: logger }],
      exports: [ROOT_LOGGER],
    };
  }
}
