import type { DynamicModule, INestApplication } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import type { AppConfig } from '@maskgen/config';
import { NestPinoLogger } from '@maskgen/observability';
import { JsonDepthInterceptor } from './json-depth';
import { UnavailableFilter } from './unavailable.filter';
import { ZodSerializerInterceptor } from './zod-serializer';

/** Creates a Nest HTTP application with our logger, request validation and error mapping. */
export async function createHttpApp(root: DynamicModule): Promise<INestApplication> {
  const app = await NestFactory.create(root, { bufferLogs: true });
  app.useLogger(app.get(NestPinoLogger));
  // Each route validates its body, query and parameters with its zod schema (ZodBody, ZodQuery: libs/contracts)
  // once the body's depth is known to be bounded, and answers with the shape of its response schema (ZodResponse).
  app.useGlobalInterceptors(new JsonDepthInterceptor(), new ZodSerializerInterceptor());
  app.useGlobalFilters(new UnavailableFilter(app.get(HttpAdapterHost).httpAdapter));
  return app;
}

export async function listen(app: INestApplication, config: AppConfig): Promise<string> {
  await app.listen(config.http.port, config.http.host);
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  return `http://${host}:${config.http.port}`;
}
