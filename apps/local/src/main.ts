import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { environmentWith, loadConfigOrExit, type AppConfig } from '@maskgen/config';
import { createRootLogger } from '@maskgen/observability';
import {
  createDataSource,
  migrateWithLock,
  startEmbeddedPostgres,
  TeamRepository,
  type EmbeddedPostgresHandle,
} from '@maskgen/persistence';
import { EventBus, isRelayedEventMessage, type AppEvent } from '@maskgen/queues';
import { CoreModule, createHttpApp, freePort, listen, shutdownOnSignals } from '@maskgen/runtime';
import { ApiModule } from '../../api/src/api.module';
import { buildDashboardIfMissing, mountDashboard } from '../../api/src/dashboard/dashboard';
import { mountOpenApi } from '../../api/src/openapi';
import { ensureLocalAdminKey, ensureLocalApiKey } from './local-api-key';
import { WorkerProcess } from './worker-process';

/** The worker's entry point, run as a child process: `.ts` from source (npm start), `.js` when built. */
const WORKER_ENTRY = path.resolve(__dirname, '../../worker/src/main' + path.extname(__filename));
/** How long past its own shutdown timeout the worker child may take before it is killed. */
const WORKER_KILL_MARGIN_MS = 2000;

/**
 * `npm start`: the whole system on one machine. Without DATABASE_URL it runs
 * an embedded PostgreSQL kept in MASKGEN_DATA_DIR; without REDIS_URL the
 * queues live in that same database. Migrations run at boot under a lock.
 * The API runs in this process and the worker in a child process, so training
 * never blocks the API's event loop; the child is restarted if it dies.
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
  let worker: WorkerProcess | undefined;
  let relayEvent: ((event: AppEvent) => void) | undefined;
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

    // The worker builds its own config from this environment: the same queue settings (REDIS_URL or
    // the PostgreSQL backend in this database), and its health endpoints on a private port.
    worker = new WorkerProcess({
      entry: WORKER_ENTRY,
      env: async () =>
        environmentWith({
          DATABASE_URL: databaseUrl,
          HOST: '127.0.0.1',
          // The worker's health endpoints: nobody calls them locally, any free port does.
          PORT: String(await freePort()),
        }),
      logger,
      // The worker's progress events reach GET /events through this process's bus (no Redis here).
      onMessage: (message) => {
        if (isRelayedEventMessage(message)) relayEvent?.(message.event);
      },
      killAfterMs: config.worker.shutdownTimeoutMs + WORKER_KILL_MARGIN_MS,
    });
    await worker.start();

    @Module({
      imports: [
        CoreModule.forRoot({ config, databaseUrl, logger, applicationName: 'maskgen-local' }),
        ApiModule,
      ],
    })
    class LocalRootModule {}
    const app = await createHttpApp({ module: LocalRootModule });
    const events = app.get(EventBus);
    relayEvent = (event) => {
      events.publish(event).catch(() => undefined);
    };
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
    const running = worker;
    // The worker child drains for up to its own timeout; this process waits for it, then a little more.
    shutdownOnSignals(logger, config.worker.shutdownTimeoutMs + 2 * WORKER_KILL_MARGIN_MS, async () => {
      // If the embedded server is already gone (Ctrl-C reaches its process group too),
      // nothing can be drained into it, so do not wait for the queues.
      await Promise.race([
        Promise.all([app.close(), running.stop()]),
        ...(embedded ? [embedded.exited.then(() => running.kill())] : []),
      ]);
      await stopEmbedded();
    });
  } catch (error) {
    await worker?.kill().catch(() => undefined);
    await stopEmbedded().catch(() => undefined);
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`maskgen failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
