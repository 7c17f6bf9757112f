/**
 * Issue 21, fault suite: the production shape (the API and two workers as processes, a Redis of the test's own with
 * an append-only file, PostgreSQL) with a fault injected mid-run: Redis down 15 s and back, a cancel while the run
 * is being finalised, a shard that fails for good and the retry of its run. Each case ends with exactly N sample
 * rows, no duplicate (run, shard, index), the final status and progress the shard rows justify, and no run left
 * active. The shared Redis is never stopped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { canStartOwnRedis, startOwnRedis, type OwnRedis } from './support/own-redis';
import { assertRunExact, pgRows } from './support/run-asserts';
import { uniqueSuffix, waitFor, type TestDatabase } from './support/services';
import { createMigratedDatabase } from './support/worker-app';
import { spawnApiProcess, spawnWorkerProcess, type WorkerProcess } from './support/worker-process';

interface RunView {
  id: string;
  status: string;
  progress: number;
  error: string | null;
  samplesStored: number;
  shards: Record<'total' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled', number>;
}

const FINISHED = ['succeeded', 'failed', 'cancelled'];

describe(
  'run faults in the production shape (API + 2 workers as processes)',
  {
    skip: !canStartOwnRedis && 'no redis-server',
  },
  () => {
    let redis: OwnRedis;
    let db: TestDatabase;
    let sql: Client;
    let api: WorkerProcess & { base: string };
    const workers: WorkerProcess[] = [];
    let key: string;
    const adminKey = `admin-${uniqueSuffix()}-0123456789abcdef`;

    const output = () => [api, ...workers].map((process) => process.output().slice(-2500)).join('\n=====\n');

    const call = async <T>(method: string, path: string, body?: unknown, apiKey = key) => {
      const response = await fetch(`${api.base}${path}`, {
        method,
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      return { status: response.status, json: (await response.json()) as T };
    };

    before(async () => {
      redis = await startOwnRedis({ appendOnly: true });
      db = await createMigratedDatabase('run-faults');
      sql = new Client({ connectionString: db.url });
      await sql.connect();
      const env = {
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        QUEUE_PREFIX: `faults-${uniqueSuffix()}`,
        LOG_LEVEL: 'info',
      };
      api = await spawnApiProcess({ ...env, ADMIN_API_KEY: adminKey });
      for (let i = 0; i < 2; i++) {
        workers.push(
          await spawnWorkerProcess({
            ...env,
            WORKER_QUEUES: 'generate',
            WORKER_LOCK_DURATION_MS: '4000',
            WORKER_STALLED_INTERVAL_MS: '2000',
            WORKER_RECONCILE_INTERVAL_MS: '5000',
          }),
        );
      }
      await Promise.all([api, ...workers].map((process) => process.ready()));
      const team = await call<{ id: string }>('POST', '/admin/teams', { name: 'faults' }, adminKey);
      assert.equal(team.status, 201);
      const created = await call<{ key: string }>(
        'POST',
        `/admin/teams/${team.json.id}/api-keys`,
        { name: 'test' },
        adminKey,
      );
      key = created.json.key;
    });

    after(async () => {
      for (const process of [api, ...workers]) {
        if (process && process.child.exitCode === null) process.child.kill('SIGKILL');
      }
      await Promise.all([api, ...workers].filter(Boolean).map((process) => process.exited));
      await sql?.end().catch(() => undefined);
      await redis?.destroy();
      await db?.drop();
    });

    async function startRun(numSamples: number, shardSize: number, length: number, seed: number) {
      const created = await call<RunView>('POST', '/runs', {
        sampler: { kind: 'synthetic', generator: 'cbf', length },
        numSamples,
        shardSize,
        seed,
      });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      return created.json.id;
    }

    const view = async (runId: string) => (await call<RunView>('GET', `/runs/${runId}`)).json;

    async function settled(runId: string, timeoutMs: number): Promise<RunView> {
      return waitFor(
        'the run to settle',
        async () => {
          const run = await view(runId).catch(() => undefined);
          // Settled: finished, and every shard job has ended (a failed run's later jobs settle their shards too).
          return run && FINISHED.includes(run.status) && run.shards.running + run.shards.queued === 0
            ? run
            : undefined;
        },
        timeoutMs,
        250,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${output()}`);
      });
    }

    /** Issue 21's end state read from PostgreSQL (assertRunExact), and the API's count of the stored samples. */
    async function assertExact(runId: string, n: number, status: 'succeeded' | 'cancelled') {
      await assertRunExact(pgRows(sql), runId, { samples: n, status, progress: 1 });
      assert.equal((await view(runId)).samplesStored, n);
    }

    test('Redis down for 15 s mid-run and back: the run completes with exactly N rows', async () => {
      const runId = await startRun(4000, 100, 1024, 31);
      await waitFor(
        'a few shards done',
        async () => ((await view(runId)).shards.succeeded >= 4 ? true : undefined),
        60_000,
        50,
      );
      await redis.stop();
      const downSince = Date.now();
      // The API keeps answering reads from PostgreSQL while the queue is away.
      const during = await call<RunView>('GET', `/runs/${runId}`);
      assert.equal(during.status, 200);
      await new Promise((resolve) => setTimeout(resolve, 15_000 - (Date.now() - downSince)));
      await redis.start();
      const done = await settled(runId, 180_000);
      assert.equal(done.status, 'succeeded', `${done.error ?? ''}\n${output()}`);
      assert.equal(done.progress, 1);
      assert.deepEqual(done.shards, {
        total: 40,
        queued: 0,
        running: 0,
        succeeded: 40,
        failed: 0,
        cancelled: 0,
      });
      await assertExact(runId, 4000, 'succeeded');
    });

    test('a cancel while the run is being finalised: it stays cancelled, with every shard stored once', async () => {
      // Large enough that the finalising job (which reads every stored value) takes a while.
      const runId = await startRun(24_000, 4000, 1024, 32);
      await waitFor(
        'every shard done, the run not settled yet',
        async () => {
          const run = await view(runId);
          if (FINISHED.includes(run.status)) throw new Error(`the run settled first: ${run.status}`);
          return run.shards.succeeded === run.shards.total ? run : undefined;
        },
        120_000,
        10,
      );
      const cancelled = await call<RunView>('POST', `/runs/${runId}/cancel`);
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.json));
      assert.equal(cancelled.json.status, 'cancelled');
      // The finalising job ends after the cancel (its 'samples' metric is the last thing it stores before settling).
      await waitFor(
        'the finalising job to finish',
        async () => {
          const { rows } = await sql.query(`SELECT 1 FROM metrics WHERE run_id = $1 AND name = 'samples'`, [
            runId,
          ]);
          return rows.length > 0 ? true : undefined;
        },
        60_000,
        100,
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const done = await settled(runId, 10_000);
      assert.equal(done.status, 'cancelled');
      assert.equal(done.progress, 1);
      assert.equal(done.shards.succeeded, 6);
      await assertExact(runId, 24_000, 'cancelled');
    });

    test('a shard that fails for good fails its run; the retry runs what did not succeed, exactly N rows', async () => {
      // Inserts of shard 3's samples fail (a non-transient error) while the flag row is there.
      await sql.query(`CREATE TABLE fault_flags (shard_index int PRIMARY KEY)`);
      await sql.query(`INSERT INTO fault_flags VALUES (3)`);
      await sql.query(`
      CREATE FUNCTION inject_sample_fault() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM fault_flags WHERE shard_index = NEW.shard_index) THEN
          RAISE EXCEPTION 'injected fault in shard %', NEW.shard_index;
        END IF;
        RETURN NEW;
      END $$`);
      await sql.query(`CREATE TRIGGER inject_sample_fault BEFORE INSERT ON samples
                     FOR EACH ROW EXECUTE FUNCTION inject_sample_fault()`);
      try {
        const runId = await startRun(1000, 100, 512, 33);
        const failed = await settled(runId, 120_000);
        assert.equal(failed.status, 'failed', output());
        assert.match(failed.error ?? '', /shard 3: .*injected fault/);
        // Shards running beside the failed one still counted, the jobs that came after settled their shards (none
        // left queued or running under the failed run), and shard 3 stored nothing.
        assert.equal(failed.shards.queued + failed.shards.running, 0);
        const { rows } = await sql.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM samples WHERE run_id = $1 AND shard_index = 3`,
          [runId],
        );
        assert.equal(rows[0].n, 0);
        assert.equal(failed.progress, failed.shards.succeeded / 10);

        const shardRows = async () =>
          (
            await sql.query<{ status: string; attempts: number }>(
              `SELECT status, attempts FROM shards WHERE run_id = $1 ORDER BY shard_index`,
              [runId],
            )
          ).rows;
        const before = await shardRows();
        await sql.query(`DELETE FROM fault_flags`);
        const retried = await call<RunView>('POST', `/runs/${runId}/retry`);
        assert.equal(retried.status, 200, JSON.stringify(retried.json));
        // Reopened: the answer is read after the shards are enqueued, so a quick worker may have started one already.
        assert.ok(['queued', 'running'].includes(retried.json.status), retried.json.status);
        const done = await settled(runId, 120_000);
        assert.equal(done.status, 'succeeded', `${done.error ?? ''}\n${output()}`);
        assert.equal(done.progress, 1);
        assert.equal(done.shards.succeeded, 10);
        await assertExact(runId, 1000, 'succeeded');
        assert.deepEqual(
          (await shardRows()).map((shard) => shard.attempts),
          before.map((shard) => (shard.status === 'succeeded' ? shard.attempts : shard.attempts + 1)),
          'the shards that had succeeded did not run again, the others ran once more',
        );
      } finally {
        await sql.query(`DROP TRIGGER IF EXISTS inject_sample_fault ON samples`);
      }
    });
  },
);
