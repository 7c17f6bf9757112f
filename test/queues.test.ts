import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Injectable, Module } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import 'reflect-metadata';
import {
  InvalidJobPayloadError,
  JobName,
  QueueName,
  type GenerateShardPayload,
  type JobItem,
  type SyntheticGenerator,
} from '@maskgen/contracts';
import { RunRepository, SampleRepository, TeamRepository } from '@maskgen/persistence';
import {
  CONSUMED_QUEUES,
  JobHandlerRegistry,
  JobQueueRepository,
  OnJob,
  PRODUCER_QUEUES,
  QUEUE_BACKEND_KIND,
  type ProducerQueues,
} from '@maskgen/queues';
import { queueBackends, uniqueSuffix, waitFor, type TestDatabase } from './support/services';
import { TensorBackendInitializer } from '../apps/worker/src/tensor-backend.initializer';
import { startWorkerApp, type WorkerApp, createMigratedDatabase } from './support/worker-app';

const backends = queueBackends();

for (const backend of backends) {
  describe(`queues on the ${backend.name} backend`, { skip: backend.skip }, () => {
    let db: TestDatabase;
    let worker: WorkerApp;
    let runs: RunRepository;
    let samples: SampleRepository;
    let jobs: JobQueueRepository;
    let teamId: string;

    before(async () => {
      db = await createMigratedDatabase(`queues_${backend.name}`);
      worker = await startWorkerApp(db.url, backend.redisUrl);
      runs = worker.app.get(RunRepository);
      samples = worker.app.get(SampleRepository);
      jobs = worker.app.get(JobQueueRepository);
      teamId = (await worker.app.get(TeamRepository).ensureTeam(`team-${uniqueSuffix()}`)).id;
    });

    after(async () => {
      await worker.close();
      await db.drop();
    });

    test('the queue backend is the one configured, and the tensor backend was chosen at boot', () => {
      assert.equal(worker.app.get(QUEUE_BACKEND_KIND), backend.name);
      const tensor = worker.app.get(TensorBackendInitializer).info;
      assert.equal(tensor?.backend, 'wasm');
      const line = worker.logs.find(
        (entry) => entry.component === 'tensor-backend' && entry.backend === 'wasm',
      );
      assert.ok(line, 'the chosen backend is logged');
      assert.equal(line.threads, 1);
    });

    async function startRun(generator: SyntheticGenerator, shardSizes: number[], seed = 7, length = 64) {
      let offset = 0;
      const shards = shardSizes.map((sampleCount, shardIndex) => {
        const shard = { shardIndex, sampleOffset: offset, sampleCount, seed: seed * 1000 + shardIndex };
        offset += sampleCount;
        return shard;
      });
      const run = await runs.createWithShards(
        { teamId, kind: 'generate', params: { generator }, seed },
        shards,
      );
      const children = shards.map((shard) => ({
        name: JobName.GenerateShard,
        data: {
          runId: run.id,
          ...shard,
          sampler: { kind: 'synthetic', generator, length },
        } satisfies GenerateShardPayload,
        options: { jobId: `${run.id}-shard-${shard.shardIndex}` },
      }));
      await jobs.addFlow(
        {
          name: JobName.FinalizeGenerateRun,
          data: { runId: run.id },
          options: { jobId: `${run.id}-finalize` },
        },
        children,
      );
      return { run, children };
    }

    async function settled(runId: string) {
      const failures = () =>
        worker.logs
          .filter((line) => line.msg === 'job failed')
          .map((line) => JSON.stringify(line.err))
          .join('\n');
      return waitFor(`run ${runId} to finish`, async () => {
        const run = await runs.findById(runId);
        return run && ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
      }).catch((error: Error) => {
        throw new Error(`${error.message}; job failures:\n${failures()}`);
      });
    }

    test('a flow of shard jobs stores every sample once and settles the run', async () => {
      const { run, children } = await startRun('cbf', [5, 5, 2]);
      const done = await settled(run.id);
      assert.equal(done.status, 'succeeded', done.error ?? '');
      assert.equal(done.progress, 1);
      assert.ok(done.startedAt && done.finishedAt);
      assert.equal(await samples.countByRun(run.id), 12);
      const stored = await samples.findByRun(run.id, 0, 100);
      assert.deepEqual(
        stored.map((sample) => sample.sampleIndex),
        Array.from({ length: 12 }, (_, i) => i),
      );
      assert.ok(stored.every((sample) => sample.values.byteLength === 64 * 4));
      assert.deepEqual(
        (await runs.findShards(run.id)).map((shard) => [shard.status, shard.attempts]),
        [
          ['succeeded', 1],
          ['succeeded', 1],
          ['succeeded', 1],
        ],
      );

      // Adding the same flow again (e.g. an API retry) must not generate anything twice.
      await jobs.addFlow(
        {
          name: JobName.FinalizeGenerateRun,
          data: { runId: run.id },
          options: { jobId: `${run.id}-finalize` },
        },
        children,
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(await samples.countByRun(run.id), 12);

      // Worker log lines name the queue, the job and the run.
      const completed = worker.logs.find((line) => line.msg === 'job completed' && line.runId === run.id);
      assert.ok(completed, 'a "job completed" log line for the run');
      assert.equal(completed.queue, QueueName.Generate);
      assert.equal(typeof completed.jobId, 'string');
    });

    test('the same seed generates the same samples', async () => {
      const first = await startRun('synthetic-control', [4], 99);
      const second = await startRun('synthetic-control', [4], 99);
      await settled(first.run.id);
      await settled(second.run.id);
      const a = await samples.findByRun(first.run.id, 0, 10);
      const b = await samples.findByRun(second.run.id, 0, 10);
      assert.equal(a.length, 4);
      assert.deepEqual(
        a.map((sample) => sample.values.toString('hex')),
        b.map((sample) => sample.values.toString('hex')),
      );
    });

    test('a shard that cannot succeed fails the run with its reason, without retrying', async () => {
      // 5000 series of 4096 steps are over the generator's 20,000,000 values (the API refuses such runs; a job
      // payload can still carry one).
      const { run } = await startRun('cbf', [5000], 7, 4096);
      const done = await settled(run.id);
      assert.equal(done.status, 'failed');
      assert.match(done.error ?? '', /count × length must be at most 20000000, got 5000 × 4096/);
      const [shard] = await runs.findShards(run.id);
      assert.equal(shard?.status, 'failed');
      assert.equal(shard?.attempts, 1);
      assert.equal(await samples.countByRun(run.id), 0);
    });

    test('an invalid payload is refused when it is added', async () => {
      await assert.rejects(
        jobs.add({ name: JobName.FinalizeGenerateRun, data: { runId: 'not-a-uuid' } }),
        InvalidJobPayloadError,
      );
    });

    test('queue counts count the jobs of every queue', async () => {
      // One job per queue, delayed for an hour so that no worker takes it while it is counted.
      const delayed: Record<QueueName, JobItem> = {
        [QueueName.Generate]: { name: JobName.FinalizeGenerateRun, data: { runId: randomUUID() } },
        [QueueName.Train]: { name: JobName.TrainStage1, data: { modelId: randomUUID() } },
        [QueueName.Evaluate]: { name: JobName.EvaluateGeneratedRun, data: { runId: randomUUID() } },
      };
      const { queues } = worker.app.get<ProducerQueues>(PRODUCER_QUEUES);
      for (const queue of Object.values(QueueName)) {
        const before = await jobs.counts(queue);
        const id = await jobs.add(delayed[queue], { delayMs: 3_600_000 });
        try {
          assert.equal((await jobs.counts(queue)).delayed, before.delayed + 1, `${queue}: delayed`);
        } finally {
          await queues[queue].remove(id);
        }
        assert.equal((await jobs.counts(queue)).delayed, before.delayed, `${queue}: delayed after removal`);
      }
    });
  });
}

describe('job handler registry', () => {
  @Injectable()
  class ShardHandlerA {
    @OnJob(JobName.GenerateShard)
    handle() {
      return Promise.resolve();
    }
  }
  @Injectable()
  class ShardHandlerB {
    @OnJob(JobName.GenerateShard)
    handle() {
      return Promise.resolve();
    }
  }

  async function boot(queues: QueueName[], handlers: (new () => object)[]) {
    @Module({
      imports: [DiscoveryModule],
      providers: [{ provide: CONSUMED_QUEUES, useValue: queues }, JobHandlerRegistry, ...handlers],
    })
    class Root {}
    const app = await NestFactory.createApplicationContext(Root, { logger: false, abortOnError: false });
    try {
      await app.init();
    } finally {
      await app.close();
    }
  }

  test('boot fails when a job of a consumed queue has no handler', async () => {
    await assert.rejects(
      boot([QueueName.Generate], [ShardHandlerA]),
      /"generate.finalize-run" on queue "generate" has no handler/,
    );
  });

  test('boot fails when a job has two handlers', async () => {
    await assert.rejects(
      boot([QueueName.Train], [ShardHandlerA, ShardHandlerB]),
      /"generate.shard" has two handlers/,
    );
  });

  test('a worker that does not consume a queue needs no handler for its jobs', async () => {
    @Injectable()
    class TrainOnly {
      // One method for the four jobs of the train queue.
      @OnJob(JobName.TrainStage1, JobName.TrainPrior, JobName.TrainCritic, JobName.TrainClassifier)
      train() {
        return Promise.resolve();
      }
    }
    await boot([QueueName.Train], [TrainOnly]);
    await assert.rejects(
      boot([QueueName.Train, QueueName.Evaluate], [TrainOnly]),
      /evaluate.* has no handler/,
    );
  });
});
