/**
 * Issue 21 item 1: no run stays open with nothing queued for it. The reconciler covers evaluations as well as
 * generation runs (an evaluation whose job gave up while the database was down stayed `running` for ever), runs
 * once when a worker starts (not only after its first interval), and one process at a time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { JobName } from '@maskgen/contracts';
import {
  RECONCILE_LOCK_KEY,
  RunRepository,
  SampleRepository,
  TeamRepository,
  type RunEntity,
} from '@maskgen/persistence';
import { EvaluationStarter, JobQueueRepository, planShards } from '@maskgen/queues';
import { RUN_STORE, RunLifecycle, RunReconciler } from '@maskgen/runs';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { queueBackends, uniqueSuffix, type TestDatabase } from './support/services';
import { createMigratedDatabase, runSettled, startWorkerApp, type WorkerApp } from './support/worker-app';

for (const backend of queueBackends()) {
  describe(`the run reconciler (${backend.name} queues)`, { skip: backend.skip }, () => {
    let db: TestDatabase;
    let producer: WorkerApp;
    let teamId: string;
    const queuePrefix = `reconcile-${uniqueSuffix()}`;

    const runs = () => producer.app.get(RunRepository);
    /** Makes the run's current flow look old enough for a pass with any grace period. */
    const age = (runId: string) =>
      producer.app
        .get(DataSource)
        .query(`UPDATE runs SET flow_enqueued_at = now() - interval '2 hours' WHERE id = $1`, [runId]);

    before(async () => {
      db = await createMigratedDatabase(`reconcile_${backend.name}`);
      producer = await startWorkerApp(db.url, backend.redisUrl, {
        queuePrefix,
        consume: false,
        providers: [{ provide: RUN_STORE, useExisting: RunRepository }, RunLifecycle, RunReconciler],
      });
      teamId = (await producer.app.get(TeamRepository).ensureTeam(`reconcile-${uniqueSuffix()}`)).id;
    });

    after(async () => {
      await producer?.close();
      await db?.drop();
    });

    /** An evaluation stored as running whose job is gone (it gave up while the database was down). */
    async function strandedEvaluation(): Promise<RunEntity> {
      const run = await runs().createWithShards(
        {
          teamId,
          kind: 'evaluate',
          params: { target: { kind: 'split', datasetId: 'none', split: 'test', modelId: 'none' } },
          seed: 1,
        },
        [],
      );
      await runs().markRunning(run.id);
      await age(run.id);
      return run;
    }

    test('an evaluation with no live job is enqueued again under a new flow, then left alone', async () => {
      const run = await strandedEvaluation();
      const reconciler = producer.app.get(RunReconciler);
      const first = await reconciler.reconcileOnce(0);
      assert.ok(first, 'the pass took the lock');
      assert.deepEqual(first.requeued, [run.id]);
      const requeued = await runs().findById(run.id);
      assert.equal(requeued?.status, 'running');
      assert.equal(requeued?.flowTag, 'c1');
      assert.equal(requeued?.recoveries, 1);
      const job = producer.app.get(EvaluationStarter).rootJob(run, 'c1');
      assert.equal(job.name, JobName.RunEvaluation);
      assert.ok(await producer.app.get(JobQueueRepository).isLive(job.name, job.jobId), 'its job waits');
      // Its job is live now: later passes change nothing.
      await age(run.id);
      const second = await reconciler.reconcileOnce(0);
      assert.deepEqual(second?.requeued, []);
      assert.equal((await runs().findById(run.id))?.flowTag, 'c1');
    });

    test('one process at a time: a pass while another holds the lock does nothing', async () => {
      const run = await strandedEvaluation();
      const holder = new Client({ connectionString: db.url });
      await holder.connect();
      try {
        await holder.query('SELECT pg_advisory_lock($1)', [RECONCILE_LOCK_KEY]);
        assert.equal(await producer.app.get(RunReconciler).reconcileOnce(0), undefined);
        assert.equal((await runs().findById(run.id))?.flowTag, 'a');
      } finally {
        await holder.end();
      }
      assert.ok((await producer.app.get(RunReconciler).reconcileOnce(0))?.requeued.includes(run.id));
    });

    test('a worker reconciles when it starts: a stranded generation run completes exactly', async () => {
      const numSamples = 300;
      const run = await runs().createWithShards(
        {
          teamId,
          kind: 'generate',
          params: {
            sampler: { kind: 'synthetic', generator: 'cbf', length: 32 },
            numSamples,
            shardSize: 100,
            priority: 5,
          },
          seed: 7,
        },
        planShards(numSamples, 100, 7),
      );
      await age(run.id);
      // An interval of an hour: only the pass at start can find the run within the test.
      const worker = await startWorkerApp(db.url, backend.redisUrl, {
        queuePrefix,
        env: { WORKER_QUEUES: 'generate', WORKER_RECONCILE_INTERVAL_MS: '3600000' },
      });
      try {
        const done = await runSettled(producer.app, run.id, 60_000);
        assert.equal(done.status, 'succeeded', done.error ?? '');
        assert.equal(done.flowTag, 'c1');
        assert.equal(done.progress, 1);
        assert.equal(await producer.app.get(SampleRepository).countByRun(run.id), numSamples);
      } finally {
        await worker.close();
      }
    });
  });
}
