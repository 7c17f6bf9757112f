/**
 * Issue 21, D1 and D7: database faults never strand a run. Two real worker processes (Redis queues)
 * against a PostgreSQL of the test's own, which it restarts and whose backends it terminates; the
 * shared PostgreSQL is never touched. Every case ends with the run settled, exactly N rows and no
 * duplicate (run, shard, index).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RunRepository, TeamRepository, type RunEntity } from '@maskgen/persistence';
import { planShards } from '@maskgen/queues';
import { MAX_RUN_RECOVERIES } from '@maskgen/runs';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { canStartOwnPostgres, startOwnPostgres, type OwnPostgres } from './support/own-postgres';
import { assertRunExact, dataSourceRows, type ExactRunExpectation } from './support/run-asserts';
import { testRedisUrl, uniqueSuffix, waitFor } from './support/services';
import { migrate, startWorkerApp, type WorkerApp, startCbfRun } from './support/worker-app';
import { spawnWorkerProcess, type WorkerProcess } from './support/worker-process';

const redisUrl = testRedisUrl();
const RECONCILE_INTERVAL_MS = 2000;

describe(
  'database faults during a run (own PostgreSQL, redis queues)',
  { skip: (!redisUrl && 'needs Redis') || (!canStartOwnPostgres && 'no PostgreSQL server binaries') },
  () => {
    let pg: OwnPostgres;
    let producer: WorkerApp;
    const queuePrefix = `dbfault-${uniqueSuffix()}`;
    const workers: WorkerProcess[] = [];
    let teamId: string;

    const runs = () => producer.app.get(RunRepository);
    const output = () => workers.map((worker) => worker.output().slice(-3000)).join('\n=====\n');

    before(async () => {
      pg = await startOwnPostgres('maskgen');
      await migrate(pg.url);
      producer = await startWorkerApp(pg.url, redisUrl, { queuePrefix, consume: false });
      teamId = (await producer.app.get(TeamRepository).ensureTeam(`dbfault-${uniqueSuffix()}`)).id;
      for (let i = 0; i < 2; i++) {
        const worker = await spawnWorkerProcess({
          DATABASE_URL: pg.url,
          REDIS_URL: redisUrl ?? '',
          QUEUE_PREFIX: queuePrefix,
          WORKER_QUEUES: 'generate',
          WORKER_LOCK_DURATION_MS: '4000',
          WORKER_STALLED_INTERVAL_MS: '2000',
          WORKER_RECONCILE_INTERVAL_MS: String(RECONCILE_INTERVAL_MS),
        });
        workers.push(worker);
      }
      await Promise.all(workers.map((worker) => worker.ready()));
    });

    after(async () => {
      for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
      await Promise.all(workers.map((worker) => worker.exited));
      await producer?.close().catch(() => undefined);
      await pg?.destroy();
    });

    async function startRun(numSamples: number, shardSize: number, length: number, seed: number) {
      return startCbfRun(producer.app, teamId, { length, numSamples, shardSize, seed });
    }

    async function settled(runId: string, timeoutMs: number): Promise<RunEntity> {
      return waitFor(
        'the run to settle',
        async () => {
          const run = await runs()
            .findById(runId)
            .catch(() => null);
          return run && ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
        },
        timeoutMs,
        250,
      ).catch(async (error: Error) => {
        const shards = await runs()
          .findShards(runId)
          .catch(() => []);
        throw new Error(
          `${error.message}; shards ${shards.map((s) => `${s.shardIndex}:${s.status}`).join(' ')}\n${output()}`,
        );
      });
    }

    /** Issue 21's end state (assertRunExact): exactly `n` rows, none twice, progress, no run left active. */
    const assertExact = (runId: string, expected: ExactRunExpectation) =>
      assertRunExact(dataSourceRows(producer.app.get(DataSource)), runId, expected);

    async function assertSucceeded(runId: string, n: number, timeoutMs: number) {
      const done = await settled(runId, timeoutMs);
      assert.equal(done.status, 'succeeded', `${done.error ?? ''}\n${output()}`);
      assert.equal(done.progress, 1);
      await assertExact(runId, { samples: n, status: 'succeeded', progress: 1 });
      assert.ok((await runs().findShards(runId)).every((shard) => shard.status === 'succeeded'));
      return done;
    }

    test('a PostgreSQL restart mid-run: shards retry, the run succeeds exactly', async () => {
      const run = await startRun(3000, 100, 2048, 21);
      await waitFor(
        'a few shards done',
        async () => ((await runs().shardStatusCounts(run.id)).succeeded >= 3 ? true : undefined),
        30_000,
        20,
      );
      // Down for 4 s: every job in flight meets "the database system is shutting down" or a refused connect.
      await pg.restart(4000);
      const done = await assertSucceeded(run.id, 3000, 120_000);
      assert.equal(done.recoveries, 0, 'the retries alone carried the run');
      const retried = workers.flatMap((worker) =>
        worker.logs().filter((line) => line.msg === 'transient database error; job runs again later'),
      );
      assert.ok(retried.length > 0, 'jobs met the outage and were retried');
    });

    test('client backends terminated mid-run (pg_terminate_backend): the run succeeds exactly', async () => {
      const run = await startRun(3000, 100, 2048, 22);
      await waitFor(
        'a few shards done',
        async () => ((await runs().shardStatusCounts(run.id)).succeeded >= 3 ? true : undefined),
        30_000,
        20,
      );
      const admin = new Client({ connectionString: pg.url });
      await admin.connect();
      try {
        let terminated = 0;
        for (let i = 0; i < 10; i++) {
          // In the select list, so it runs only for the rows the filter kept (never this session).
          const result = await admin.query<{ done: boolean }>(
            `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
             WHERE application_name = 'maskgen-worker' AND pid <> pg_backend_pid()`,
          );
          terminated += result.rows.filter((row) => row.done).length;
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        assert.ok(terminated > 0, 'worker backends were terminated');
      } finally {
        await admin.end();
      }
      await assertSucceeded(run.id, 3000, 120_000);
    });

    /** A run stored with its shards but no job (enqueueing failed, or the queue lost its jobs). */
    async function strandedRun(numSamples: number, shardSize: number, seed: number) {
      return runs().createWithShards(
        {
          teamId,
          kind: 'generate',
          params: {
            sampler: { kind: 'synthetic', generator: 'cbf', length: 64 },
            numSamples,
            shardSize,
            priority: 5,
          },
          seed,
        },
        planShards(numSamples, shardSize, seed),
      );
    }

    test('the reconciler re-enqueues a run no job is left to run', async () => {
      const run = await strandedRun(500, 100, 23);
      // Partly done before its jobs went missing: one shard stored, one left running.
      await runs().markRunning(run.id);
      await runs().beginShard(run.id, 1);
      const done = await assertSucceeded(run.id, 500, 30_000);
      assert.equal(done.recoveries, 1);
      assert.equal(done.flowTag, 'c1');
    });

    test('the reconciler fails a run whose recoveries are spent, shards included', async () => {
      const run = await strandedRun(300, 100, 24);
      await producer.app
        .get(DataSource)
        .query(`UPDATE runs SET recoveries = $2 WHERE id = $1`, [run.id, MAX_RUN_RECOVERIES]);
      const done = await settled(run.id, 30_000);
      assert.equal(done.status, 'failed');
      assert.match(done.error ?? '', /no job left/);
      const counts = await runs().shardStatusCounts(run.id);
      assert.deepEqual(counts, { queued: 0, running: 0, succeeded: 0, failed: 3, cancelled: 0 });
      await assertExact(run.id, { samples: 0, status: 'failed', progress: 0 });
    });
  },
);

describe(
  'run progress follows the shard rows (D7)',
  { skip: !canStartOwnPostgres && 'no PostgreSQL' },
  () => {
    let pg: OwnPostgres;
    let app: WorkerApp;

    before(async () => {
      pg = await startOwnPostgres('maskgen');
      await migrate(pg.url);
      app = await startWorkerApp(pg.url, redisUrl, { consume: false });
    });

    after(async () => {
      await app?.close();
      await pg?.destroy();
    });

    test('a shard that completes after a cancel, a failure or a retry still counts', async () => {
      const runs = app.app.get(RunRepository);
      const team = await app.app.get(TeamRepository).ensureTeam(`d7-${uniqueSuffix()}`);
      const run = await runs.createWithShards(
        { teamId: team.id, kind: 'generate', params: {}, seed: 1 },
        planShards(400, 100, 1),
      );
      await runs.markRunning(run.id);
      await runs.finishShard(run.id, 0, 'succeeded');
      assert.ok(await runs.cancel(run.id));
      // Shard 1 was mid-insert when the cancel came; its samples are all stored, so it did succeed.
      await runs.finishShard(run.id, 1, 'succeeded');
      let stored = await runs.findById(run.id);
      assert.equal(stored?.status, 'cancelled');
      assert.equal(stored?.progress, 0.5);
      assert.equal((await runs.shardStatusCounts(run.id)).succeeded, 2);
      // Settling the same shard twice (a takeover racing a completion) changes nothing.
      await runs.finishShard(run.id, 1, 'succeeded');
      assert.equal((await runs.findById(run.id))?.progress, 0.5);

      await app.app.get(DataSource).query(`UPDATE runs SET status = 'failed' WHERE id = $1`, [run.id]);
      await runs.finishShard(run.id, 2, 'succeeded');
      stored = await runs.findById(run.id);
      assert.equal(stored?.progress, 0.75);
    });
  },
);
