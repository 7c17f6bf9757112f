import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { loadConfigOrExit, requireDatabaseUrl } from '@maskgen/config';
import { createRootLogger } from '@maskgen/observability';
import { CoreModule, createHttpApp, listen, shutdownOnSignals } from '@maskgen/runtime';
import { WorkerModule } from './worker.module';

/**
 * Production shape: a worker consuming WORKER_QUEUES. It serves only the
 * health endpoints over HTTP, for the orchestrator's probes.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const databaseUrl = requireDatabaseUrl(config);
  const logger = createRootLogger(config, 'worker');
  @Module({
    imports: [
      CoreModule.forRoot({ config, databaseUrl, logger, applicationName: 'maskgen-worker' }),
      WorkerModule.forRoot(config.worker.queues),
    ],
  })
  class WorkerRootModule {}
  const app = await createHttpApp({ module: WorkerRootModule });
  const url = await listen(app, config);
  logger.info({ url, queues: config.worker.queues }, 'maskgen worker running');
  shutdownOnSignals(logger, config.worker.shutdownTimeoutMs, () => app.close());
}

main().catch((error: unknown) => {
  process.stderr.write(
    `maskgen worker failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
