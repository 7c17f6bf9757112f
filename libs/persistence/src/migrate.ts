import type { DataSource } from 'typeorm';

/** Arbitrary constant shared by every maskgen process, so only one of them migrates at a time. */
export const MIGRATION_LOCK_KEY = 7_340_201_911;

export interface MigrationOutcome {
  applied: string[];
}

/**
 * Runs pending migrations while holding a Postgres advisory lock, so several
 * processes booting at once (local mode, replicas, a migrate Job) never race.
 * Each migration runs in its own transaction; a failed one is rolled back.
 */
export async function migrateWithLock(dataSource: DataSource): Promise<MigrationOutcome> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return { applied: applied.map((migration) => migration.name) };
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
