/**
 * Issue 21: GET /runs read samplesStored as a count(*) over each listed run's samples, so its cost grew with the
 * samples stored. Shards now count their samples in the transaction that inserts them; these tests check the
 * counter is exact under retried and duplicate inserts, that the list reads no samples, and the backfill.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RunRepository, SampleRepository, TeamRepository, type NewSample } from '@maskgen/persistence';
import { planShards } from '@maskgen/queues';
import { DataSource, type QueryRunner } from 'typeorm';
import { ShardSamplesStored1764470000000 } from '../libs/persistence/src/migrations/1764470000000-shard-samples-stored';
import { startApiServer, type ApiServer } from './support/api-server';
import { waitFor } from './support/services';

interface RunBody {
  id: string;
  status: string;
  samplesStored: number;
}

function samplesOf(runId: string, shardIndex: number, from: number, to: number): NewSample[] {
  return Array.from({ length: to - from }, (_, i) => ({
    runId,
    shardIndex,
    sampleIndex: from + i,
    classIndex: null,
    values: Float32Array.of(from + i),
  }));
}

/** Records the SQL of every query the data source runs while `work` does. */
async function queriesDuring(dataSource: DataSource, work: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const create = dataSource.createQueryRunner.bind(dataSource);
  dataSource.createQueryRunner = (...args: Parameters<DataSource['createQueryRunner']>): QueryRunner => {
    const runner = create(...args);
    const query = runner.query.bind(runner);
    runner.query = ((sql: string, ...rest: unknown[]) => {
      seen.push(sql);
      return (query as (...all: unknown[]) => Promise<unknown>)(sql, ...rest);
    }) as QueryRunner['query'];
    return runner;
  };
  try {
    await work();
  } finally {
    dataSource.createQueryRunner = create;
  }
  return seen;
}

describe('samples stored: counters on the shard rows', () => {
  let server: ApiServer;
  let runs: RunRepository;
  let samples: SampleRepository;
  let teamId: string;

  before(async () => {
    server = await startApiServer('sample-counters');
    runs = server.app.get(RunRepository);
    samples = server.app.get(SampleRepository);
    const team = await server.app.get(TeamRepository).findTeamByApiKey(server.key);
    assert.ok(team);
    teamId = team.id;
  });

  after(async () => {
    await server?.close();
  });

  test('retried, duplicate and concurrent inserts count only the rows really stored', async () => {
    const run = await runs.createWithShards(
      { teamId, kind: 'generate', params: {}, seed: 1 },
      planShards(1000, 500, 1),
    );
    // Shard 0 stores 300, fails, and its retry stores all 500 (the first 300 are skipped).
    assert.equal(await samples.insertMany(samplesOf(run.id, 0, 0, 300), 128), 300);
    assert.equal(await samples.insertMany(samplesOf(run.id, 0, 0, 500), 128), 200);
    // Shard 1 taken over: two workers insert the same samples at once.
    const both = await Promise.all([
      samples.insertMany(samplesOf(run.id, 1, 500, 1000), 100),
      samples.insertMany(samplesOf(run.id, 1, 500, 1000), 100),
    ]);
    assert.equal(both[0] + both[1], 500);
    // Scored samples (model runs) count the same way, a repeat stores nothing.
    const scored = samplesOf(run.id, 1, 500, 510).map((sample) => ({ ...sample, critic: null }));
    assert.equal(await samples.insertScored(scored), 0);

    assert.equal(await samples.countByRun(run.id), 1000);
    assert.equal(await runs.samplesStored(run.id), 1000);
    assert.deepEqual(
      (await runs.findShards(run.id)).map((shard) => shard.samplesStored),
      [500, 500],
    );
  });

  test('GET /runs shows the exact count of a finished run without reading the samples table', async () => {
    const call = async (path: string, body?: unknown) => {
      const response = await fetch(`${server.base}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'x-api-key': server.key, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    const created = await call('/runs', {
      sampler: { kind: 'synthetic', generator: 'cbf', length: 16 },
      numSamples: 1200,
      shardSize: 300,
      seed: 3,
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const id = String(created.json.id);
    const done = await waitFor(
      'the run to finish',
      async () => {
        const run = (await call(`/runs/${id}`)).json as unknown as RunBody;
        return ['succeeded', 'failed'].includes(run.status) ? run : undefined;
      },
      60_000,
      200,
    );
    assert.equal(done.status, 'succeeded');
    assert.equal(done.samplesStored, 1200);

    let listed: RunBody[] = [];
    const sql = await queriesDuring(server.app.get(DataSource), async () => {
      listed = (await call('/runs')).json.items as RunBody[];
    });
    assert.ok(sql.length > 0, 'the spy saw the list queries');
    assert.deepEqual(
      sql.filter((text) => /\bsamples\b|"samples"/.test(text)),
      [],
      'no query of GET /runs reads the samples table',
    );
    assert.equal(listed.find((run) => run.id === id)?.samplesStored, 1200);
  });

  test('the migration backfills the counters of runs stored before it', async () => {
    const run = await runs.createWithShards(
      { teamId, kind: 'generate', params: {}, seed: 2 },
      planShards(30, 10, 2),
    );
    await samples.insertMany([...samplesOf(run.id, 0, 0, 10), ...samplesOf(run.id, 2, 20, 27)]);
    const dataSource = server.app.get(DataSource);
    const runner = dataSource.createQueryRunner();
    try {
      // As before the migration: no counter column.
      await runner.query(`ALTER TABLE shards DROP COLUMN samples_stored`);
      await new ShardSamplesStored1764470000000().up(runner);
    } finally {
      await runner.release();
    }
    assert.deepEqual(
      (await runs.findShards(run.id)).map((shard) => shard.samplesStored),
      [10, 0, 7],
    );
    assert.equal(await runs.samplesStored(run.id), 17);
  });
});
