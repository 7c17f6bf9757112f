import 'reflect-metadata';
import { loadConfigOrExit, requireDatabaseUrl } from '@maskgen/config';
import { createRootLogger } from '@maskgen/observability';
import { createDataSource, migrateWithLock } from '@maskgen/persistence';

/** `npm run migrate`: applies pending migrations to DATABASE_URL; a no-op when there are none. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const url = requireDatabaseUrl(config);
  const logger = createRootLogger(config, 'migrate');
  const dataSource = createDataSource({ url, applicationName: 'maskgen-migrate' });
  await dataSource.initialize();
  try {
    const { applied } = await migrateWithLock(dataSource);
    logger.info(
      { applied },
      applied.length > 0 ? `applied ${applied.length} migration(s)` : 'schema is up to date',
    );
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
