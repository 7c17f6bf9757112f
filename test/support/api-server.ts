import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module, type INestApplication } from '@nestjs/common';
import 'reflect-metadata';
import pino from 'pino';
import { buildConfig } from '@maskgen/config';
import { CoreModule, createHttpApp } from '@maskgen/runtime';
import { ApiModule } from '../../apps/api/src/api.module';
import { mountDashboard } from '../../apps/api/src/dashboard/dashboard';
import { mountOpenApi } from '../../apps/api/src/openapi';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { createTestDatabase, testRedisUrl, uniqueSuffix, type TestDatabase } from './services';
import { migrate } from './worker-app';

export interface ApiServer {
  /** http://127.0.0.1:PORT */
  base: string;
  /** An API key of a fresh team. */
  key: string;
  adminKey: string;
  app: INestApplication;
  /** Creates another team and returns one of its keys. */
  newTeamKey(name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The API with an in-process worker (as `npm start` runs it) on a fresh test database and a random
 * port, for tests that talk HTTP to it from another process (CLI, browser).
 */
export async function startApiServer(
  label: string,
  env: Record<string, string> = {},
  options: { dashboardDir?: string } = {},
): Promise<ApiServer> {
  const db: TestDatabase = await createTestDatabase(label);
  await migrate(db.url);
  const redisUrl = testRedisUrl();
  const adminKey = `admin-${uniqueSuffix()}-0123456789abcdef`;
  const config = buildConfig({
    DATABASE_URL: db.url,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    QUEUE_PREFIX: `${label}-${uniqueSuffix()}`,
    ADMIN_API_KEY: adminKey,
    ...env,
  });
  @Module({
    imports: [
      CoreModule.forRoot({
        config,
        databaseUrl: db.url,
        logger: pino({ level: process.env.TEST_API_LOG_LEVEL ?? 'silent' }),
        applicationName: `maskgen-${label}-test`,
      }),
      ApiModule,
      WorkerModule.forRoot(config.worker),
    ],
  })
  class Root {}
  let app: INestApplication | undefined;
  try {
    app = await createHttpApp({ module: Root });
    mountOpenApi(app);
    if (options.dashboardDir) mountDashboard(app, options.dashboardDir);
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app?.close().catch(() => undefined);
    await db.drop();
    throw error;
  }
  const server = app.getHttpServer() as Server;
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const admin = async <T>(path: string, body: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': adminKey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const newTeamKey = async (name: string) => {
    const team = await admin<{ id: string }>('/admin/teams', { name });
    return (await admin<{ key: string }>(`/admin/teams/${team.id}/api-keys`, { name: 'test' })).key;
  };
  const started = app;
  return {
    base,
    key: await newTeamKey('team-a'),
    adminKey,
    app: started,
    newTeamKey,
    close: async () => {
      await started.close();
      await db.drop();
    },
  };
}
