/**
 * Issue #9 acceptance: a run of 1,000 samples in 10 shards ends with exactly
 * 1,000 samples, no duplicates and its metrics, even when the worker process
 * running it is SIGKILLed in the middle and another worker takes over.
 * Real worker processes (apps/worker/src/main.ts), real PostgreSQL, and Redis
 * or BullMQ's PostgreSQL backend.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MetricRepository, RunRepository, SampleRepository, TeamRepository } from '@maskgen/persistence';
import { DataSource } from 'typeorm';
import { assertRunExact, dataSourceRows } from './support/run-asserts';
import { queueBackends, uniqueSuffix, waitFor, type TestDatabase } from './support/services';
import {
  startWorkerApp,
  type WorkerApp,
  createMigratedDatabase,
  runSettled,
  startCbfRun,
} from './support/worker-app';
import { killWorkers, spawnWorkerProcess, type WorkerProcess } from './support/worker-process';

const backends = queueBackends();

/** Short locks so the stalled job is taken over within seconds, not the production minute. */
const LOCK_TIMING = { WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' };

for (const backend of backends) {
  describe(`a worker SIGKILLed mid-run (${backend.name} queues)`, { skip: backend.skip }, () => {
    let db: TestDatabase;
    let producer: WorkerApp;
    const queuePrefix = `crash-${uniqueSuffix()}`;
    const workers: WorkerProcess[] = [];

    const startWorker = async () => {
      const worker = await spawnWorkerProcess({
        DATABASE_URL: db.url,
        ...(backend.redisUrl ? { REDIS_URL: backend.redisUrl } : {}),
        QUEUE_PREFIX: queuePrefix,
        WORKER_QUEUES: 'generate',
        LOG_LEVEL: 'info',
        ...LOCK_TIMING,
      });
      workers.push(worker);
      await worker.ready();
      return worker;
    };

    before(async () => {
      db = await createMigratedDatabase(`crash_${backend.name}`);
      producer = await startWorkerApp(db.url, backend.redisUrl, { queuePrefix, consume: false });
    });

    after(async () => {
      await killWorkers(workers);
      await producer.close();
      await db.drop();
    });

    test('1,000 samples in 10 shards: exactly 1,000 stored, no duplicates, with metrics', async () => {
      const runs = producer.app.get(RunRepository);
      const team = await producer.app.get(TeamRepository).ensureTeam(`crash-${uniqueSuffix()}`);
      // Long series make each shard take long enough to be caught running.
      const run = await startCbfRun(producer.app, team.id, {
        length: 4096,
        numSamples: 1000,
        shardSize: 100,
        seed: 11,
      });

      const first = await startWorker();
      const atKill = await waitFor(
        'three shards done and a fourth running',
        async () => {
          const counts = await runs.shardStatusCounts(run.id);
          return counts.succeeded >= 3 && counts.running >= 1 ? counts : undefined;
        },
        30_000,
        10,
      );
      first.child.kill('SIGKILL');
      const killed = await first.exited;
      assert.equal(killed.signal, 'SIGKILL');
      const samples = producer.app.get(SampleRepository);
      const storedAtKill = await samples.countByRun(run.id);
      assert.ok(atKill.succeeded < 10, 'the worker was killed before the run finished');
      assert.notEqual((await runs.findById(run.id))?.status, 'succeeded');

      const second = await startWorker();
      const done = await runSettled(producer.app, run.id, 40_000, 'the run to settle after the takeover');
      assert.equal(done.status, 'succeeded', `${done.error ?? ''}\n${second.output().slice(-3000)}`);
      assert.ok(storedAtKill < 1000);

      // Exactly 1,000 rows, none twice, progress 1 from the run row and the shard rows, no run left active.
      await assertRunExact(dataSourceRows(producer.app.get(DataSource)), run.id, {
        samples: 1000,
        status: 'succeeded',
        progress: 1,
      });

      const shards = await runs.findShards(run.id);
      assert.ok(shards.every((shard) => shard.status === 'succeeded'));
      // The shard that was running when the worker died ran again on the second worker.
      assert.ok(
        shards.some((shard) => shard.attempts >= 2),
        shards.map((s) => `${s.shardIndex}:${s.attempts}`).join(' '),
      );
      const metrics = await producer.app.get(MetricRepository).forRun(run.id);
      const count = metrics.find((metric) => metric.name === 'samples');
      assert.equal(count?.value, 1000);

      // The surviving worker stops cleanly on SIGTERM once idle.
      second.child.kill('SIGTERM');
      assert.equal((await second.exited).code, 0, second.output().slice(-2000));
    });
  });
}
