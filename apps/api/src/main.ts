import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { loadConfigOrExit, requireDatabaseUrl } from '@maskgen/config';
import { createRootLogger } from '@maskgen/observability';
import { CoreModule, createHttpApp, listen, shutdownOnSignals } from '@maskgen/runtime';
import { ApiModule } from './api.module';
import { mountDashboard } from './dashboard/dashboard';
import { mountOpenApi } from './openapi';

/** Production shape: the API alone; workers run as separate processes. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const databaseUrl = requireDatabaseUrl(config);
  const logger = createRootLogger(config, 'api');
  @Module({
    imports: [CoreModule.forRoot({ config, databaseUrl, logger, applicationName: 'maskgen-api' }), ApiModule],
  })
  class ApiRootModule {}
  const app = await createHttpApp({ module: ApiRootModule });
  mountOpenApi(app);
  mountDashboard(app);
  const url = await listen(app, config);
  logger.info({ url }, 'maskgen API listening');
  shutdownOnSignals(logger, config.worker.shutdownTimeoutMs, () => app.close());
}

main().catch((error: unknown) => {
  process.stderr.write(
    `maskgen API failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
