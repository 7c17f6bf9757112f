import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue, Worker } from 'bullmq';
import pino from 'pino';
import { buildConfig, loadConfigOrExit, type AppConfig } from '@maskgen/config';
import { QueueName } from '@maskgen/contracts';
import {
  RunRepository,
  SampleRepository,
  TeamRepository,
  createDataSource,
  startEmbeddedPostgres,
} from '@maskgen/persistence';
import { GenerationRunStarter, bullWorkerOptions, configureQueueBackend } from '@maskgen/queues';
import { CoreModule } from '@maskgen/runtime';
import { type SeededRng } from '@maskgen/tensor';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { createScratchDatabase, freePort, redisAnswers } from '../../test/support/services';
import { migrate } from '../../test/support/worker-app';
import { type BenchResult, type BenchSuite } from '../types';

type Backend = 'postgres' | 'redis';

const TINY_JOBS = 1000;
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function suffix(): string {
  return randomBytes(4).toString('hex');
}

/** PostgreSQL from DATABASE_URL, else an embedded cluster for the run; a scratch database either way. */
export async function scratchDatabase(config: AppConfig): Promise<{ url: string; drop(): Promise<void> }> {
  let adminUrl = config.database.url;
  let stopEmbedded = async () => {};
  if (!adminUrl) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'maskgen-bench-pg-'));
    const port = await freePort();
    const embedded = await startEmbeddedPostgres({ dataDir, port, database: 'maskgen_bench' });
    adminUrl = embedded.url;
    stopEmbedded = async () => {
      await embedded.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const db = await createScratchDatabase(adminUrl, 'bench');
  await migrate(db.url);
  return {
    url: db.url,
    drop: async () => {
      await db.drop();
      await stopEmbedded();
    },
  };
}

function backendConfig(databaseUrl: string, backend: Backend, redisUrl: string | undefined): AppConfig {
  return buildConfig({
    DATABASE_URL: databaseUrl,
    ...(backend === 'redis' && redisUrl ? { REDIS_URL: redisUrl } : {}),
    QUEUE_PREFIX: `bench-${suffix()}`,
    BULLMQ_PG_SCHEMA: 'bullmq',
    WORKER_QUEUES: QueueName.Generate,
    TENSOR_BACKEND: 'wasm',
  });
}

/**
 * No-op jobs, all waiting before the worker starts, processed with the
 * generate queue's worker options: what the queue backend alone costs per job.
 */
async function tinyJobThroughput(config: AppConfig, databaseUrl: string, concurrency: number) {
  const { kind, connection } = configureQueueBackend(config, databaseUrl);
  const name = `bench-tiny-${suffix()}`;
  const queue = new Queue(name, { connection, prefix: config.queue.prefix });
  await queue.addBulk(
    Array.from({ length: TINY_JOBS }, (_, i) => ({
      name: 'tiny',
      data: { i },
      opts: { removeOnComplete: true },
    })),
  );
  let completed = 0;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const worker = new Worker(name, () => Promise.resolve(), {
    connection,
    prefix: config.queue.prefix,
    autorun: false,
    ...bullWorkerOptions(QueueName.Generate),
    concurrency,
  });
  worker.on('completed', () => {
    if (++completed === TINY_JOBS) allDone();
  });
  await worker.waitUntilReady();
  const started = performance.now();
  void worker.run();
  await finished;
  const elapsedMs = performance.now() - started;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return {
    case: `tiny jobs, ${kind}, concurrency ${concurrency}`,
    value: TINY_JOBS / (elapsedMs / 1000),
    unit: 'jobs/s',
    medianMs: elapsedMs / TINY_JOBS,
    minMs: elapsedMs / TINY_JOBS,
    iterations: TINY_JOBS,
  } satisfies BenchResult;
}

/**
 * SampleRepository.insertMany: 5,000 rows a statement, INSERT … SELECT FROM unnest(…) (ON CONFLICT DO NOTHING only
 * after a key conflict, see storeSamples).
 */
async function sampleInsertRate(databaseUrl: string, rng: SeededRng): Promise<BenchResult[]> {
  const dataSource = createDataSource({ url: databaseUrl, applicationName: 'maskgen-bench' });
  await dataSource.initialize();
  try {
    const samples = new SampleRepository(dataSource);
    const team = await new TeamRepository(dataSource).ensureTeam(`bench-${suffix()}`);
    const run = await new RunRepository(dataSource).createWithShards(
      { teamId: team.id, kind: 'generate', params: {}, seed: 0 },
      [],
    );
    const results: BenchResult[] = [];
    let nextIndex = 0;
    for (const { length, count } of [
      { length: 128, count: 10_000 },
      { length: 1024, count: 4_000 },
    ]) {
      const batch = () =>
        Array.from({ length: count }, () => ({
          runId: run.id,
          shardIndex: 0,
          sampleIndex: nextIndex++,
          classIndex: 0,
          values: Float32Array.from({ length }, () => rng.normal()),
        }));
      await samples.insertMany(batch()); // warm-up: connections, plans
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const rows = batch();
        const started = performance.now();
        const inserted = await samples.insertMany(rows);
        times.push(performance.now() - started);
        if (inserted !== count) throw new Error(`inserted ${inserted} of ${count} samples`);
      }
      results.push({
        case: `insert ${count} samples of length ${length}`,
        value: count / (median(times) / 1000),
        unit: 'samples/s',
        medianMs: median(times),
        minMs: Math.min(...times),
        iterations: times.length,
      });
    }
    return results;
  } finally {
    await dataSource.destroy();
  }
}

interface JobLogLine {
  msg: string;
  time: number;
  jobName?: string;
  runId?: string;
  durationMs?: number;
}

/**
 * A real 10-shard run (1,000 synthetic samples of length 128 per shard) on
 * one in-process worker: the gaps between one shard's handler ending and
 * the next one's starting are the queue's cost (finish, fetch, lock, checks).
 */
async function shardOverhead(config: AppConfig, databaseUrl: string): Promise<BenchResult> {
  const lines: JobLogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n'))
        if (line.startsWith('{')) lines.push(JSON.parse(line) as JobLogLine);
      callback();
    },
  });
  @Module({
    imports: [
      CoreModule.forRoot({
        config,
        databaseUrl,
        logger: pino({ level: 'info' }, sink),
        applicationName: 'maskgen-bench',
      }),
      WorkerModule.forRoot(config.worker),
    ],
  })
  class BenchWorkerRoot {}
  const app = await NestFactory.createApplicationContext(BenchWorkerRoot, { logger: false });
  await app.init();
  try {
    const team = await app.get(TeamRepository).ensureTeam(`bench-${suffix()}`);
    const shards = 10;
    const run = await app.get(GenerationRunStarter).start(team.id, {
      sampler: { kind: 'synthetic', generator: 'cbf', length: 128 },
      numSamples: shards * 1000,
      shardSize: 1000,
      priority: 5,
      seed: 1,
    });
    const runs = app.get(RunRepository);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const status = await runs.status(run.id);
      if (status === 'succeeded') break;
      if (status === 'failed' || status === 'cancelled' || Date.now() > deadline) {
        throw new Error(`bench run ended ${status ?? 'missing'}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const shardLines = lines.filter((line) => line.runId === run.id && line.jobName === 'generate.shard');
    const starts = shardLines.filter((line) => line.msg === 'job started').map((line) => line.time);
    const ends = shardLines.filter((line) => line.msg === 'job completed');
    const handlerMs = ends.reduce((sum, line) => sum + (line.durationMs ?? 0), 0);
    const wallMs = Math.max(...ends.map((line) => line.time)) - Math.min(...starts);
    const gaps = starts
      .sort((a, b) => a - b)
      .slice(1)
      .map((start) => start - Math.max(...ends.map((line) => line.time).filter((end) => end <= start)));
    return {
      case: `queue share of shard wall time, ${configKind(config)}, ${shards} shards × 1000 synthetic samples`,
      value: (100 * (wallMs - handlerMs)) / wallMs,
      unit: '%',
      medianMs: median(gaps),
      minMs: Math.min(...gaps),
      iterations: gaps.length,
    };
  } finally {
    await app.close();
  }
}

function configKind(config: AppConfig): Backend {
  return config.queue.redisUrl ? 'redis' : 'postgres';
}

export const queuesSuite: BenchSuite = {
  name: 'queues',
  description:
    'tiny-job throughput (Redis vs PostgreSQL queues), sample bulk-insert rate, queue overhead per shard; needs PostgreSQL (DATABASE_URL or embedded), Redis optional',
  // Queue and database work; the tensor backend does not matter.
  backends: ['wasm'],
  async run({ rng }) {
    const base = loadConfigOrExit();
    const redisUrl = base.queue.redisUrl ?? DEFAULT_REDIS_URL;
    const withRedis = await redisAnswers(redisUrl);
    if (!withRedis) console.log(`queues: Redis does not answer at ${redisUrl}; Redis cases left out`);
    const backends: Backend[] = withRedis ? ['redis', 'postgres'] : ['postgres'];
    const database = await scratchDatabase(base);
    try {
      const results: BenchResult[] = [];
      for (const backend of backends) {
        for (const concurrency of [1, 8]) {
          results.push(
            await tinyJobThroughput(
              backendConfig(database.url, backend, redisUrl),
              database.url,
              concurrency,
            ),
          );
        }
      }
      results.push(...(await sampleInsertRate(database.url, rng)));
      for (const backend of backends) {
        results.push(await shardOverhead(backendConfig(database.url, backend, redisUrl), database.url));
      }
      return results;
    } finally {
      await database.drop();
    }
  },
};
