/**
 * Issue 22 item 2: the lifecycle scenarios of libs/runs/test (takeover after a crash, duplicate completion, cancel
 * during finalize, retry after a partial failure) against RunRepository on PostgreSQL, so the in-memory store the
 * unit tests use and the real one are held to the same behaviour. Also: a shard's completion is one transaction.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  RunRepository,
  TeamRepository,
  type NewSample,
  type RunStatus,
  type ShardStatus,
} from '@maskgen/persistence';
import { planShards } from '@maskgen/queues';
import { RunLifecycle } from '@maskgen/runs';
import { lifecycleScenarios } from '../libs/runs/test/lifecycle-scenarios';
import { useTestDataSource } from './support/database';
import { uniqueSuffix } from './support/services';

describe('run lifecycle (RunRepository on PostgreSQL)', () => {
  const database = useTestDataSource('run-lifecycle', { migrated: true });
  let runs: RunRepository;
  let teamId: string;

  before(async () => {
    runs = new RunRepository(database.dataSource);
    teamId = (await new TeamRepository(database.dataSource).ensureTeam(`lifecycle-${uniqueSuffix()}`)).id;
  });

  lifecycleScenarios(() => ({
    lifecycle: new RunLifecycle(runs),
    createRun: async (shards, perShard) =>
      (
        await runs.createWithShards(
          { teamId, kind: 'generate', params: {}, seed: 1 },
          planShards(shards * perShard, perShard, 1),
        )
      ).id,
    inspect: async (runId) => {
      const [run] = await database.dataSource.query<{ status: RunStatus; progress: number }[]>(
        `SELECT status, progress FROM runs WHERE id = $1`,
        [runId],
      );
      const shards = await database.dataSource.query<
        { shardIndex: number; status: ShardStatus; attempts: number; samplesStored: number }[]
      >(
        `SELECT shard_index AS "shardIndex", status, attempts, samples_stored AS "samplesStored"
           FROM shards WHERE run_id = $1 ORDER BY shard_index`,
        [runId],
      );
      const samples = await database.dataSource.query<{ key: string }[]>(
        `SELECT shard_index || '/' || sample_index AS key FROM samples WHERE run_id = $1`,
        [runId],
      );
      return { ...run, shards, sampleKeys: samples.map((row) => row.key) };
    },
  }));

  test('a shard completion that dies mid-transaction leaves no sample of the shard behind', async () => {
    const run = await runs.createWithShards(
      { teamId, kind: 'generate', params: {}, seed: 2 },
      planShards(2000, 1000, 2),
    );
    await runs.beginShard(run.id, 0);
    const samples: NewSample[] = Array.from({ length: 1000 }, (_, i) => ({
      runId: run.id,
      shardIndex: 0,
      sampleIndex: i,
      classIndex: null,
      values: Float32Array.of(i),
    }));
    // Sample 999 names a run that does not exist, so its insert fails (foreign key) after the 999 others were
    // inserted in the same transaction: none of them may stay, and the shard is neither done nor counted.
    samples[999] = {
      ...samples[999],
      values: new Float32Array(0),
      runId: '00000000-0000-0000-0000-000000000000',
    };
    await assert.rejects(runs.completeShard(run.id, 0, samples));
    const [row] = await database.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM samples WHERE run_id = $1`,
      [run.id],
    );
    assert.equal(row.n, 0);
    const [shard] = await runs.findShards(run.id);
    assert.equal(shard.status, 'running');
    assert.equal(shard.samplesStored, 0);
  });
});
