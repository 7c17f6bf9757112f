/**
 * Issue 21 ("a taken-over run never settled"): a worker that starts while shard jobs wait must not
 * take one before its job handlers are registered. It did: @nestjs/bullmq starts consuming in
 * onModuleInit, the handler registry filled in onApplicationBootstrap, so a job taken in between
 * failed with "No handler registered" and, as a flow child with one attempt, failed its run's
 * finalize job for good. The window is widened here by a root-module provider whose onModuleInit
 * takes a while (in the worker-crash and worker-shutdown tests it was the tensor backend's start).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { SampleRepository, TeamRepository } from '@maskgen/persistence';
import { queueBackends, uniqueSuffix, type TestDatabase } from './support/services';
import {
  startWorkerApp,
  type WorkerApp,
  createMigratedDatabase,
  runSettled,
  startCbfRun,
} from './support/worker-app';

@Injectable()
class SlowInit implements OnModuleInit {
  async onModuleInit(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

for (const backend of queueBackends()) {
  describe(`a worker starting while shard jobs wait (${backend.name} queues)`, { skip: backend.skip }, () => {
    let db: TestDatabase;
    let producer: WorkerApp;
    let worker: WorkerApp | undefined;
    const queuePrefix = `startup-${uniqueSuffix()}`;

    before(async () => {
      db = await createMigratedDatabase(`startup_${backend.name}`);
      producer = await startWorkerApp(db.url, backend.redisUrl, { queuePrefix, consume: false });
    });

    after(async () => {
      await worker?.close();
      await producer.close();
      await db.drop();
    });

    test('takes no job before its handlers are registered; the run succeeds untouched', async () => {
      const team = await producer.app.get(TeamRepository).ensureTeam(`startup-${uniqueSuffix()}`);
      const run = await startCbfRun(producer.app, team.id, {
        length: 64,
        numSamples: 300,
        shardSize: 100,
        seed: 3,
      });
      worker = await startWorkerApp(db.url, backend.redisUrl, {
        queuePrefix,
        providers: [SlowInit],
        // The reconciler would mend a stranded run later; this test is about not stranding it.
        env: { WORKER_RECONCILE_INTERVAL_MS: '3600000' },
      });
      const done = await runSettled(producer.app, run.id, 20_000).catch((error: Error) => {
        const failures = worker?.logs.filter((line) => line.msg === 'job failed') ?? [];
        throw new Error(`${error.message}; failed jobs: ${JSON.stringify(failures).slice(0, 2000)}`);
      });
      assert.equal(done.status, 'succeeded', done.error ?? '');
      assert.equal(done.recoveries, 0);
      assert.deepEqual(
        worker.logs.filter((line) => line.msg === 'job failed'),
        [],
      );
      assert.equal(await producer.app.get(SampleRepository).countByRun(run.id), 300);
    });
  });
}
