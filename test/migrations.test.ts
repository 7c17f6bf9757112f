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
import { tsEntryArgs } from './support/ts-entry';

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
  return spawnSync(process.execPath, tsEntryArgs('apps/api/src/migrate.ts'), {
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

  test('samples keyed by (run, index): existing samples and critic scores are converted, and back', async () => {
    const fresh = await createTestDatabase('migrations_samples_key');
    const dataSource = createDataSource({ url: fresh.url });
    await dataSource.initialize();
    try {
      await migrateWithLock(dataSource);
      await dataSource.undoLastMigration(); // the schema before SamplesRunIndexKey1764540000000
      const [{ id: teamId }] = await dataSource.query<{ id: string }[]>(
        `INSERT INTO teams (name) VALUES ('old') RETURNING id`,
      );
      const [{ id: runId }] = await dataSource.query<{ id: string }[]>(
        `INSERT INTO runs (team_id, kind, seed) VALUES ($1, 'generate', 1) RETURNING id`,
        [teamId],
      );
      const oldSamples = await dataSource.query<{ id: string; sample_index: number }[]>(
        `INSERT INTO samples (run_id, shard_index, sample_index, "values")
         VALUES ($1, 0, 0, '\\x00000000'), ($1, 0, 1, '\\x0000803f'), ($1, 1, 2, '\\x00000040')
         RETURNING id, sample_index`,
        [runId],
      );
      const idOf = (index: number) => oldSamples.find((row) => row.sample_index === index)?.id;
      await dataSource.query(
        `INSERT INTO token_critic_scores (sample_id, phase, band, grid_rows, grid_columns, scores)
         VALUES ($1, 'before', 'lf', 1, 1, '\\x01'), ($2, 'before', 'lf', 1, 1, '\\x02'),
                ($2, 'after', 'lf', 1, 1, '\\x03')`,
        [idOf(1), idOf(2)],
      );
      const scoresBySample = `SELECT s.sample_index, t.phase, t.scores FROM token_critic_scores t
          JOIN samples s ON %JOIN% ORDER BY s.sample_index, t.phase DESC`;
      const expected = [
        { sample_index: 1, phase: 'before', scores: Buffer.from([1]) },
        { sample_index: 2, phase: 'before', scores: Buffer.from([2]) },
        { sample_index: 2, phase: 'after', scores: Buffer.from([3]) },
      ];

      assert.deepEqual((await dataSource.runMigrations({ transaction: 'each' })).length, 1);
      assert.deepEqual(
        await dataSource.query(
          scoresBySample.replace('%JOIN%', 's.run_id = t.run_id AND s.sample_index = t.sample_index'),
        ),
        expected,
      );
      assert.deepEqual(
        await dataSource.query(`SELECT shard_index, sample_index FROM samples ORDER BY sample_index`),
        [
          { shard_index: 0, sample_index: 0 },
          { shard_index: 0, sample_index: 1 },
          { shard_index: 1, sample_index: 2 },
        ],
      );
      const [{ sequences }] = await dataSource.query<{ sequences: number }[]>(
        `SELECT count(*)::int AS sequences FROM pg_class WHERE relkind = 'S' AND relname LIKE 'samples%'`,
      );
      assert.equal(sequences, 0);

      // down(): every sample gets a serial id again, and the critic scores follow their samples.
      await dataSource.undoLastMigration();
      assert.deepEqual(
        await dataSource.query(scoresBySample.replace('%JOIN%', 's.id = t.sample_id')),
        expected,
      );
      const [{ ids }] = await dataSource.query<{ ids: number }[]>(
        `SELECT count(DISTINCT id)::int AS ids FROM samples`,
      );
      assert.equal(ids, 3);

      // Two samples of a run under one index (only overlapping shards could store them): the migration refuses
      // and changes nothing.
      await dataSource.query(
        `INSERT INTO samples (run_id, shard_index, sample_index, "values") VALUES ($1, 5, 2, '\\x00')`,
        [runId],
      );
      await assert.rejects(dataSource.runMigrations({ transaction: 'each' }), /two samples under one index/);
      const [{ stillSerial }] = await dataSource.query<{ stillSerial: boolean }[]>(
        `SELECT EXISTS (SELECT 1 FROM information_schema.columns
                         WHERE table_name = 'samples' AND column_name = 'id') AS "stillSerial"`,
      );
      assert.equal(stillSerial, true);
    } finally {
      await dataSource.destroy();
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
