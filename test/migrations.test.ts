import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import 'reflect-metadata';
import { Client } from 'pg';
import { createDataSource, migrateWithLock } from '@maskgen/persistence';
import { MIGRATIONS } from '../migrations';
import { useTestDatabase } from './support/database';
import { createTestDatabase } from './support/services';

const ROOT = path.resolve(__dirname, '..');
const TABLES = [
  'api_keys',
  'dataset_series',
  'datasets',
  'ess_batches',
  'idempotency_keys',
  'metrics',
  'model_checkpoints',
  'models',
  'run_features',
  'runs',
  'samples',
  'shards',
  'teams',
  'token_critic_scores',
  'typeorm_migrations',
];

async function publicTables(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    return result.rows.map((row) => row.table_name);
  } finally {
    await client.end();
  }
}

function runMigrateCommand(url: string) {
  return spawnSync(process.execPath, ['--require', '@swc-node/register', 'apps/api/src/migrate.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, DATABASE_URL: url, LOG_LEVEL: 'info' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('migrations', () => {
  const db = useTestDatabase('migrations', { migrated: false });

  test('`npm run migrate` creates the schema on an empty database, and a second run is a no-op', async () => {
    assert.deepEqual(await publicTables(db.url), []);
    const first = runMigrateCommand(db.url);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`applied ${MIGRATIONS.length} migration`));
    assert.deepEqual(await publicTables(db.url), TABLES);

    const second = runMigrateCommand(db.url);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /schema is up to date/);
    assert.deepEqual(await publicTables(db.url), TABLES);
  });

  test('the migrated schema is exactly what the entities describe', async () => {
    const dataSource = createDataSource({ url: db.url });
    await dataSource.initialize();
    try {
      await migrateWithLock(dataSource);
      const pending = await dataSource.driver.createSchemaBuilder().log();
      assert.deepEqual(
        pending.upQueries.map((query) => query.query),
        [],
        'entities and migrations disagree: write a migration for the change',
      );
    } finally {
      await dataSource.destroy();
    }
  });

  test('processes migrating at the same time do not race', async () => {
    const fresh = await createTestDatabase('migrations_race');
    const sources = [0, 1, 2].map(() => createDataSource({ url: fresh.url }));
    try {
      await Promise.all(sources.map((source) => source.initialize()));
      const outcomes = await Promise.all(sources.map((source) => migrateWithLock(source)));
      const applied = outcomes.map((outcome) => outcome.applied.length).sort();
      assert.deepEqual(applied, [0, 0, MIGRATIONS.length]);
    } finally {
      await Promise.all(sources.map((source) => source.destroy()));
      await fresh.drop();
    }
  });

  test('down migrations remove everything they created', async () => {
    const fresh = await createTestDatabase('migrations_down');
    const dataSource = createDataSource({ url: fresh.url });
    await dataSource.initialize();
    try {
      await migrateWithLock(dataSource);
      for (let i = 0; i < MIGRATIONS.length; i++) await dataSource.undoLastMigration();
      assert.deepEqual(await publicTables(fresh.url), ['typeorm_migrations']);
    } finally {
      await dataSource.destroy();
      await fresh.drop();
    }
  });
});
