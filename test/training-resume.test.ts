/**
 * A worker shut down while a model trains (issue 20 item 3): the training job stops at the next step boundary,
 * saves an in-training state with the model, and is handed back to the queue at once (not after its lock
 * expires); the next worker resumes the stage from that step ("resumed from step k" in the progress), and the
 * model ends exactly as one trained without interruption from the same seed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readModelProgress } from '@maskgen/contracts';
import { fitGlobalScaling } from '@maskgen/data';
import { DatasetRepository, ModelRepository, TeamRepository } from '@maskgen/persistence';
import { ModelTrainingStarter } from '@maskgen/queues';
import { Client } from 'pg';
import { queueBackends, uniqueSuffix, waitFor, type TestDatabase } from './support/services';
import { startWorkerApp, type WorkerApp, createMigratedDatabase } from './support/worker-app';

for (const { name: backend, redisUrl, skip } of queueBackends()) {
  describe(`training resumes after a worker shutdown (${backend} queues)`, { skip }, () => {
    let db: TestDatabase;
    let producer: WorkerApp;
    const queuePrefix = `resume-${uniqueSuffix()}`;
    const workers: WorkerApp[] = [];
    let teamId: string;
    let datasetId: string;

    const startWorker = async () => {
      const worker = await startWorkerApp(db.url, redisUrl, {
        queuePrefix,
        env: { WORKER_QUEUES: 'train,evaluate' },
      });
      workers.push(worker);
      return worker;
    };
    const models = () => producer.app.get(ModelRepository);

    async function newModel(name: string) {
      const model = await models().create({ teamId, datasetId, name, profile: 'tiny', seed: 4 });
      await producer.app.get(ModelTrainingStarter).start(model);
      return model.id;
    }

    const ready = (id: string) =>
      waitFor(
        `model ${id} to be ready`,
        async () => {
          const model = await models().findById(id);
          assert.ok(model && !['failed', 'cancelled'].includes(model.status), model?.error ?? model?.status);
          return model.status === 'ready' ? model : undefined;
        },
        120_000,
      );

    before(async () => {
      db = await createMigratedDatabase('training-resume');
      producer = await startWorkerApp(db.url, redisUrl, { queuePrefix, consume: false });
      teamId = (await producer.app.get(TeamRepository).ensureTeam(`resume-${uniqueSuffix()}`)).id;
      const split = (count: number) => ({
        values: Array.from({ length: count }, (_, i) =>
          Float32Array.from({ length: 32 }, (_, t) =>
            i % 2 ? Math.sin(t / 3 + i) : Math.cos(t / 5) + i / count,
          ),
        ),
        labels: Int32Array.from({ length: count }, (_, i) => i % 2),
      });
      const train = split(40);
      const test = split(20);
      const dataset = await producer.app.get(DatasetRepository).create({
        teamId,
        name: `resume-${uniqueSuffix()}`,
        sourceKind: 'upload',
        sourceDetails: {},
        seriesLength: 32,
        classNames: ['a', 'b'],
        scaling: {
          method: 'global-standard',
          ...fitGlobalScaling({
            ...train,
            name: 'resume',
            source: 'test',
            length: 32,
            classNames: ['a', 'b'],
          }),
        },
        train,
        test,
      });
      datasetId = dataset.id;
    });

    after(async () => {
      for (const worker of workers) await worker.close().catch(() => undefined);
      await producer?.close();
      await db?.drop();
    });

    test('shutdown saves the stage at a step boundary and hands the job back; the next worker resumes it', async () => {
      const interrupted = await newModel('interrupted');
      const first = await startWorker();
      await waitFor(
        'stage 1 to train',
        async () => {
          const progress = readModelProgress((await models().findById(interrupted))?.progress);
          return progress.stages.stage1.step >= 1 ? true : undefined;
        },
        60_000,
        10,
      );
      // Hold the next progress write, so the stage is certainly still training when the shutdown begins.
      const blocker = new Client({ connectionString: db.url });
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE models IN SHARE ROW EXCLUSIVE MODE');
      const started = Date.now();
      const closing = first.close();
      await new Promise((resolve) => setTimeout(resolve, 500));
      await blocker.query('ROLLBACK');
      await blocker.end();
      await closing;
      const shutdownMs = Date.now() - started;
      assert.ok(shutdownMs < 10_000, `the worker stopped in ${shutdownMs} ms`);
      const messages = first.logs.map((line) => line.msg);
      assert.ok(messages.includes('worker shutting down; job handed back to the queue'), messages.join('\n'));
      assert.ok(!messages.includes('job failed'), 'the job did not fail');

      const reader = new Client({ connectionString: db.url });
      await reader.connect();
      const {
        rows: [state],
      } = await reader
        .query<{ partial: boolean; step: number }>(
          `SELECT partial, step FROM model_checkpoints WHERE model_id = $1 AND stage = 'stage1'`,
          [interrupted],
        )
        .finally(() => reader.end());
      assert.ok(state?.partial, 'an in-training state was stored');
      const k = state.step;
      assert.ok(k >= 1 && k < 60, `saved after step ${k} of 60`);
      const stopped = await models().findById(interrupted);
      assert.equal(stopped?.status, 'training');
      assert.ok(readModelProgress(stopped?.progress).stages.stage1.step <= k, 'no step beyond the saved one');
      // (The classifier trains beside stage 1 on the evaluate queue and may be stored already.)
      assert.ok(
        !(await models().checkpointDigests(interrupted)).some((c) => c.stage === 'stage1'),
        'a partial state is not a checkpoint',
      );

      const second = await startWorker();
      const model = await ready(interrupted);
      const resumedLine = second.logs.find(
        (line) => line.msg === 'training stage resumed from its checkpoint',
      );
      assert.equal(resumedLine?.step, k);
      const stage1 = readModelProgress(model.progress).stages.stage1;
      assert.equal(stage1.resumedFromStep, k);
      assert.equal(stage1.step, 60);

      // The same seed without interruption gives the same checkpoints, byte for byte.
      const whole = await ready(await newModel('whole'));
      const digests = async (id: string) =>
        Object.fromEntries((await models().checkpointDigests(id)).map((c) => [c.stage, c.sha256]));
      const a = await digests(interrupted);
      const b = await digests(whole.id);
      assert.equal(a.stage1, b.stage1);
      assert.equal(a.prior, b.prior);
      assert.equal(readModelProgress(whole.progress).stages.stage1.resumedFromStep, undefined);
    });
  });
}
