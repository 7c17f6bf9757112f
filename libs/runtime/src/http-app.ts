import { type INestApplication, ValidationPipe, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AppConfig } from '@maskgen/config';
import { Logger } from 'nestjs-pino';
import { JsonDepthPipe } from './json-depth';

/** Creates a Nest HTTP application with our logger and request validation. */
export async function createHttpApp(root: DynamicModule): Promise<INestApplication> {
  const app = await NestFactory.create(root, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(
    new JsonDepthPipe(),
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
    }),
  );
  return app;
}

export async function listen(app: INestApplication, config: AppConfig): Promise<string> {
  await app.listen(config.http.port, config.http.host);
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  return `http://${host}:${config.http.port}`;
}
