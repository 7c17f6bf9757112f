/**
 * A job whose lock cannot be renewed belongs to someone else: BullMQ's
 * `lockRenewalFailed` aborts its JobContext.signal; the stalled-job check
 * hands the job to a worker again, and the run still ends with exactly its
 * samples. The lock is really taken away (the Redis lock key deleted, or the
 * lock token replaced in BullMQ's PostgreSQL table) while the shard's
 * completion (its samples, its status, in one transaction) is blocked: that
 * completion lands whole or not at all, never a part of the shard, and the
 * takeover stores nothing twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RunRepository, SampleRepository, TeamRepository } from '@maskgen/persistence';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { queueBackends, uniqueSuffix, waitFor, type TestDatabase } from './support/services';
import { startWorkerApp, type WorkerApp, createMigratedDatabase, startCbfRun } from './support/worker-app';

const backends = queueBackends();

for (const backend of backends) {
  describe(`a job that loses its lock (${backend.name} queues)`, { skip: backend.skip }, () => {
    let db: TestDatabase;
    let worker: WorkerApp;
    const queuePrefix = `lock-${uniqueSuffix()}`;

    before(async () => {
      db = await createMigratedDatabase(`lock_${backend.name}`);
      worker = await startWorkerApp(db.url, backend.redisUrl, {
        queuePrefix,
        // Renewal every second, takeover within a few: the test needs seconds, not minutes.
        env: {
          WORKER_LOCK_DURATION_MS: '2000',
          WORKER_STALLED_INTERVAL_MS: '1000',
          WORKER_QUEUES: 'generate',
        },
      });
    });

    after(async () => {
      await worker.close();
      await db.drop();
    });

    /** Takes the job's lock away the way a lost Redis key or an expired lock would. */
    async function stealLock(jobId: string): Promise<void> {
      if (backend.redisUrl) {
        const redis = new Redis(backend.redisUrl);
        try {
          assert.equal(await redis.del(`${queuePrefix}:generate:${jobId}:lock`), 1, 'the lock key existed');
        } finally {
          await redis.quit();
        }
      } else {
        const client = new Client({ connectionString: db.url });
        await client.connect();
        try {
          const result = await client.query(
            `UPDATE bullmq.job SET lock_token = 'taken-by-the-test' WHERE id = $1 AND state = 'active'`,
            [jobId],
          );
          assert.equal(result.rowCount, 1, 'the job was active');
        } finally {
          await client.end();
        }
      }
    }

    test('lockRenewalFailed aborts the shard; its samples land whole or not at all, exactly once', async () => {
      const runs = worker.app.get(RunRepository);
      const samples = worker.app.get(SampleRepository);
      const team = await worker.app.get(TeamRepository).ensureTeam(`lock-${uniqueSuffix()}`);

      // Hold the shard's completion (its one insert of 2,000 samples) until its lock is gone.
      const blocker = new Client({ connectionString: db.url });
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE samples IN SHARE ROW EXCLUSIVE MODE');

      const run = await startCbfRun(worker.app, team.id, {
        length: 64,
        numSamples: 2000,
        shardSize: 2000,
        seed: 5,
      });
      const jobId = `${run.id}-shard-0-a`;
      try {
        await waitFor('the shard to run', async () =>
          (await runs.findShards(run.id))[0]?.status === 'running' ? true : undefined,
        );
        await stealLock(jobId);
        const lost = await waitFor(
          'the worker to notice the lost lock',
          () => Promise.resolve(worker.logs.find((line) => line.msg === 'job lock lost: aborting the job')),
          10_000,
          50,
        );
        assert.equal(lost.jobId, jobId);
        assert.equal(lost.runId, run.id);
      } finally {
        await blocker.query('ROLLBACK');
        await blocker.end();
      }

      // Sample counts seen while the shard settles: none may show a part of it.
      const seen = new Set<number>();
      const done = await waitFor(
        'the run to settle after the takeover',
        async () => {
          seen.add(await samples.countByRun(run.id));
          const current = await runs.findById(run.id);
          return current && ['succeeded', 'failed', 'cancelled'].includes(current.status)
            ? current
            : undefined;
        },
        30_000,
        20,
      );
      assert.equal(done.status, 'succeeded', done.error ?? '');
      assert.deepEqual(
        [...seen].filter((count) => count !== 0 && count !== 2000),
        [],
        'never a part of the shard',
      );
      const [row] = await worker.app.get(DataSource).query<{ n: number; distinct_indices: number }[]>(
        `SELECT count(*)::int AS n, count(DISTINCT sample_index)::int AS distinct_indices
             FROM samples WHERE run_id = $1`,
        [run.id],
      );
      assert.deepEqual(row, { n: 2000, distinct_indices: 2000 });
      const [shard] = await runs.findShards(run.id);
      assert.equal(shard?.status, 'succeeded');
      assert.equal(shard?.samplesStored, 2000);
    });
  });
}
