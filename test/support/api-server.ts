import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module, type INestApplication } from '@nestjs/common';
import 'reflect-metadata';
import pino from 'pino';
import { buildConfig } from '@maskgen/config';
import { DatasetRepository, TeamRepository } from '@maskgen/persistence';
import { CoreModule, createHttpApp } from '@maskgen/runtime';
import { ApiModule } from '../../apps/api/src/api.module';
import {
  buildDashboardIfMissing,
  mountDashboard,
  type DashboardLocation,
} from '../../apps/api/src/dashboard/dashboard';
import { mountOpenApi } from '../../apps/api/src/openapi';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { createTestDatabase, testRedisUrl, uniqueSuffix, type TestDatabase } from './services';
import { migrate } from './worker-app';

export interface ApiAppOptions {
  /** Names the application (and, in startApiServer, the database and queue prefix). */
  label: string;
  /** The default, testRedisUrl(), uses Redis when one answers; null forces the PostgreSQL queue backend. */
  redisUrl?: string | null;
  /** Shared with a worker process that must see the same queues; random by default. */
  queuePrefix?: string;
  /** false: the API alone, for a test that runs its worker in another process. */
  withWorker?: boolean;
  /** More configuration variables. */
  env?: Record<string, string>;
  /** A built (or not yet built) directory, or a lookup made per request like `npm start`'s. */
  dashboardDir?: DashboardLocation;
  /** Build the dashboard into dashboardDir (a directory) at start when it is missing, as `npm start` does. */
  buildDashboard?: boolean;
}

export interface ApiApp {
  app: INestApplication;
  /** http://127.0.0.1:PORT */
  base: string;
}

/** The API's module tree (with an in-process worker unless told otherwise) listening on a random port. */
export async function startApiApp(databaseUrl: string, options: ApiAppOptions): Promise<ApiApp> {
  const redisUrl = options.redisUrl === undefined ? testRedisUrl() : options.redisUrl;
  const config = buildConfig({
    DATABASE_URL: databaseUrl,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    QUEUE_PREFIX: options.queuePrefix ?? `${options.label}-${uniqueSuffix()}`,
    ...options.env,
  });
  @Module({
    imports: [
      CoreModule.forRoot({
        config,
        databaseUrl,
        logger: pino({ level: process.env.TEST_API_LOG_LEVEL ?? 'silent' }),
        applicationName: `maskgen-${options.label}-test`,
      }),
      ApiModule,
      ...(options.withWorker === false ? [] : [WorkerModule.forRoot(config.worker)]),
    ],
  })
  class Root {}
  let app: INestApplication | undefined;
  try {
    app = await createHttpApp({ module: Root });
    mountOpenApi(app);
    if (options.dashboardDir) {
      if (options.buildDashboard && typeof options.dashboardDir === 'string')
        await buildDashboardIfMissing(pino({ level: 'silent' }), options.dashboardDir);
      mountDashboard(app, options.dashboardDir);
    }
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app?.close().catch(() => undefined);
    throw error;
  }
  const server = app.getHttpServer() as Server;
  return { app, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export interface ApiServer extends ApiApp {
  /** An API key of a fresh team. */
  key: string;
  adminKey: string;
  /** Creates another team and returns one of its keys. */
  newTeamKey(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Creates a team through the admin API at `base` and returns a new API key of it. */
export async function newTeamKey(base: string, adminKey: string, name: string): Promise<string> {
  const admin = async <T>(path: string, body: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': adminKey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const team = await admin<{ id: string }>('/admin/teams', { name });
  return (await admin<{ key: string }>(`/admin/teams/${team.id}/api-keys`, { name: 'test' })).key;
}

/**
 * The API with an in-process worker (as `npm start` runs it) on a fresh, migrated test database and a
 * random port, with an admin key and one team's key.
 */
export async function startApiServer(
  label: string,
  env: Record<string, string> = {},
  options: Pick<ApiAppOptions, 'dashboardDir' | 'buildDashboard'> = {},
): Promise<ApiServer> {
  const db: TestDatabase = await createTestDatabase(label);
  const adminKey = `admin-${uniqueSuffix()}-0123456789abcdef`;
  let api: ApiApp;
  try {
    await migrate(db.url);
    api = await startApiApp(db.url, { label, env: { ADMIN_API_KEY: adminKey, ...env }, ...options });
  } catch (error) {
    await db.drop();
    throw error;
  }
  const { app, base } = api;

  return {
    app,
    base,
    key: await newTeamKey(base, adminKey, 'team-a'),
    adminKey,
    newTeamKey: (name) => newTeamKey(base, adminKey, name),
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}

/**
 * Stores a 16-step dataset whose series all have class 1 straight through the repository, as one stored before
 * the API refused untrainable datasets (POST /datasets/upload answers 400 now); stage 1 refuses it. Returns its id.
 */
export async function storeOneClassDataset(server: Pick<ApiApp, 'app'>, key: string): Promise<string> {
  const team = await server.app.get(TeamRepository).findTeamByApiKey(key);
  assert.ok(team, 'the key belongs to a team');
  const split = (count: number) => ({
    values: Array.from({ length: count }, (_, i) =>
      Float32Array.from({ length: 16 }, (_, t) => Math.sin(t + i)),
    ),
    labels: new Int32Array(count),
  });
  const dataset = await server.app.get(DatasetRepository).create({
    teamId: team.id,
    name: `one-class-${uniqueSuffix()}`,
    sourceKind: 'upload',
    sourceDetails: {},
    seriesLength: 16,
    classNames: ['1'],
    scaling: { method: 'global-standard', mean: 0, std: 1 },
    train: split(12),
    test: split(12),
  });
  return dataset.id;
}
