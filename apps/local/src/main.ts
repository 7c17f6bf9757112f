import { mkdir } from 'node:fs/promises';
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { loadConfigOrExit, type AppConfig } from '@maskgen/config';
import { createRootLogger } from '@maskgen/observability';
import {
  createDataSource,
  migrateWithLock,
  startEmbeddedPostgres,
  TeamRepository,
  type EmbeddedPostgresHandle,
} from '@maskgen/persistence';
import { CoreModule, createHttpApp, listen, shutdownOnSignals } from '@maskgen/runtime';
import { WorkerModule } from '../../worker/src/worker.module';
import { ApiModule } from './api.module';
import { ensureLocalAdminKey, ensureLocalApiKey } from './local-api-key';
import { buildDashboardIfMissing, mountDashboard } from './dashboard/dashboard';
import { mountOpenApi } from './openapi';

/**
 * `npm start`: the whole system in one process. Without DATABASE_URL it runs
 * an embedded PostgreSQL kept in MASKGEN_DATA_DIR; without REDIS_URL the
 * queues live in that same database. Migrations run at boot under a lock.
 */
async function main(): Promise<void> {
  const loaded = loadConfigOrExit();
  // The local user is the operator: without ADMIN_API_KEY an admin key is made and kept in the data
  // directory, so the queue dashboard (/admin/queues) opens in local mode too.
  const adminKey = await ensureLocalAdminKey(loaded.api.adminApiKey, loaded.local.dataDir);
  const config: AppConfig = { ...loaded, api: { ...loaded.api, adminApiKey: adminKey.key } };
  const logger = createRootLogger(config, 'local');
  // A fresh clone has no built dashboard; build it while the database starts (about a second).
  const dashboardBuilt = buildDashboardIfMissing(logger);
  let embedded: EmbeddedPostgresHandle | undefined;
  const stopEmbedded = async () => {
    await embedded?.stop();
  };
  try {
    if (!config.database.url) {
      embedded = await startEmbeddedPostgres({
        dataDir: config.local.dataDir,
        port: config.local.postgresPort,
        database: 'maskgen',
        log: (message, context) => logger.info(context ?? {}, message),
      });
    }
    const databaseUrl = config.database.url ?? embedded!.url;

    const dataSource = createDataSource({ url: databaseUrl, applicationName: 'maskgen-migrate' });
    await dataSource.initialize();
    const { applied } = await migrateWithLock(dataSource).finally(() => dataSource.destroy());
    logger.info(
      { applied },
      applied.length > 0 ? `applied ${applied.length} migration(s)` : 'schema is up to date',
    );

    @Module({
      imports: [
        CoreModule.forRoot({ config, databaseUrl, logger, applicationName: 'maskgen-local' }),
        ApiModule,
        WorkerModule.forRoot(config.worker),
      ],
    })
    class LocalRootModule {}
    const app = await createHttpApp({ module: LocalRootModule });
    mountOpenApi(app);
    await dashboardBuilt;
    mountDashboard(app);
    await mkdir(config.local.dataDir, { recursive: true });
    const apiKey = await ensureLocalApiKey(app.get(TeamRepository), config.local.dataDir);
    const url = await listen(app, config);
    logger.info(
      {
        url,
        database: embedded ? `embedded (${config.local.dataDir})` : 'DATABASE_URL',
        queues: config.queue.redisUrl ? 'redis' : 'postgres',
        apiKeyFile: apiKey.file,
      },
      `maskgen is running at ${url} (API docs: ${url}/docs)`,
    );
    process.stdout.write(
      apiKey.created
        ? `\nAPI key of the local team (saved in ${apiKey.file}):\n  ${apiKey.key}\n\n`
        : `\nAPI key of the local team: see ${apiKey.file}\n\n`,
    );
    const board = `Queue dashboard: ${url}/admin/queues, signed in with any user name and the admin key`;
    process.stdout.write(
      adminKey.file === undefined
        ? `${board} (ADMIN_API_KEY)\n\n`
        : adminKey.created
          ? `${board} (saved in ${adminKey.file}):\n  ${adminKey.key}\n\n`
          : `${board} in ${adminKey.file}\n\n`,
    );
    shutdownOnSignals(logger, config.worker.shutdownTimeoutMs, async () => {
      // If the embedded server is already gone (Ctrl-C reaches its process group too),
      // nothing can be drained into it, so do not wait for the queues.
      await Promise.race([app.close(), ...(embedded ? [embedded.exited] : [])]);
      await stopEmbedded();
    });
  } catch (error) {
    await stopEmbedded().catch(() => undefined);
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`maskgen failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
