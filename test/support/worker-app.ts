import { Writable } from 'node:stream';
import { Module, type INestApplicationContext, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import 'reflect-metadata';
import pino from 'pino';
import { buildConfig, type AppConfig } from '@maskgen/config';
import { RunRepository, createDataSource, migrateWithLock, type RunEntity } from '@maskgen/persistence';
import { GenerationRunStarter } from '@maskgen/queues';
import { CoreModule } from '@maskgen/runtime';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { cbfRunBody, createTestDatabase, uniqueSuffix, waitFor, type TestDatabase } from './services';

export interface LogLine {
  msg: string;
  [key: string]: unknown;
}

export interface WorkerApp {
  app: INestApplicationContext;
  config: AppConfig;
  logs: LogLine[];
  close(): Promise<void>;
}

/** A synthetic CBF generation run of a test: series length, how many samples, in shards of how many, and its seed. */
export interface CbfRunSpec {
  length: number;
  numSamples: number;
  shardSize: number;
  seed: number;
}

/** Starts a synthetic CBF run of `teamId` (priority 5) through `app`'s GenerationRunStarter, as the API would. */
export function startCbfRun(app: INestApplicationContext, teamId: string, spec: CbfRunSpec) {
  const { length, ...rest } = spec;
  return app.get(GenerationRunStarter).start(teamId, { ...cbfRunBody(length, rest), priority: 5 });
}

export async function migrate(url: string): Promise<void> {
  const dataSource = createDataSource({ url });
  await dataSource.initialize();
  try {
    await migrateWithLock(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** A fresh test database (see createTestDatabase) with every migration applied. */
export async function createMigratedDatabase(label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(label);
  await migrate(db.url);
  return db;
}

/** Polls a run until it succeeded, failed or was cancelled, and returns it. */
export function runSettled(
  app: INestApplicationContext,
  runId: string,
  timeoutMs: number,
  what = 'the run to settle',
): Promise<RunEntity> {
  const runs = app.get(RunRepository);
  return waitFor(
    what,
    async () => {
      const current = await runs.findById(runId);
      return current && ['succeeded', 'failed', 'cancelled'].includes(current.status) ? current : undefined;
    },
    timeoutMs,
  );
}

export interface WorkerAppOptions {
  /** Shared with other apps or processes that must see the same queues; random by default. */
  queuePrefix?: string;
  /** false: only the core module (repositories, queues, events), for a test that enqueues but does not consume. */
  consume?: boolean;
  /** More configuration variables. */
  env?: Record<string, string>;
  /** Providers of the root module (whose lifecycle hooks run after every imported module's). */
  providers?: Provider[];
}

/** The worker process's module tree, in-process, with its JSON log lines captured. */
export async function startWorkerApp(
  databaseUrl: string,
  redisUrl: string | undefined,
  options: WorkerAppOptions = {},
): Promise<WorkerApp> {
  const config = buildConfig({
    DATABASE_URL: databaseUrl,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    QUEUE_PREFIX: options.queuePrefix ?? `test-${uniqueSuffix()}`,
    LOG_LEVEL: 'info',
    ...options.env,
  });
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim()) logs.push(JSON.parse(line) as LogLine);
      }
      callback();
    },
  });
  const logger = pino({ level: 'info' }, sink);

  @Module({
    imports: [
      CoreModule.forRoot({ config, databaseUrl, logger, applicationName: 'maskgen-test' }),
      ...(options.consume === false ? [] : [WorkerModule.forRoot(config.worker)]),
    ],
    providers: options.providers ?? [],
  })
  class TestWorkerRoot {}

  const app = await NestFactory.createApplicationContext(TestWorkerRoot, { logger: false });
  await app.init();
  return { app, config, logs, close: () => app.close() };
}
