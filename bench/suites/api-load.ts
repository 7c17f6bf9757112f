import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigOrExit } from '@maskgen/config';
import { summariseLatencies } from '../../test/support/local-instance';
import { redisAnswers } from '../../test/support/services';
import { spawnApiProcess, spawnWorkerProcess, type WorkerProcess } from '../../test/support/worker-process';
import { latencyResult } from '../latency';
import { type BenchSuite } from '../types';
import { DEFAULT_REDIS_URL, scratchDatabase } from './queues';

/** Issue 21 item 6: 20 concurrent runs from two teams plus one run of 100,000 samples. */
const TEAMS = 2;
const RUNS_PER_TEAM = 10;
const RUN_SAMPLES = 10_000;
const RUN_SHARD = 1000;
const BIG_RUN_SAMPLES = 100_000;
const BIG_RUN_SHARD = 5000;
const LENGTH = 128;
/** `--quick` shrinks every run 100-fold: it checks the suite works; its figures mean nothing. */
const QUICK_SCALE = 0.01;
/** Clients listing runs at once while the runs go, each request after the previous answered. */
const LISTING_CLIENTS = 4;
const RESULTS_DIR = path.join(__dirname, '..', 'results');

interface RunView {
  id: string;
  status: string;
  samplesStored: number;
}

let verdict = '';

async function call<T>(base: string, key: string, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** A team and one of its API keys, through the admin endpoints. */
async function teamKey(base: string, adminKey: string, name: string): Promise<string> {
  const team = await call<{ id: string }>(base, adminKey, 'POST', '/admin/teams', { name });
  return (await call<{ key: string }>(base, adminKey, 'POST', `/admin/teams/${team.id}/api-keys`, { name }))
    .key;
}

/** GET /runs latencies from `clients` sequential loops (teams in turn) until `done()`. */
async function listWhile(
  base: string,
  keys: string[],
  done: () => boolean,
  clients: number,
): Promise<number[]> {
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = client; !done(); i++) {
        const started = performance.now();
        const response = await fetch(`${base}/runs`, { headers: { 'x-api-key': keys[i % keys.length] } });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`GET /runs answered ${response.status}`);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

/** Polls every run until each has finished; throws if one did not succeed. */
async function waitForRuns(base: string, runs: { id: string; key: string }[]): Promise<RunView[]> {
  for (;;) {
    const views = await Promise.all(
      runs.map((run) => call<RunView>(base, run.key, 'GET', `/runs/${run.id}`)),
    );
    const failed = views.find((view) => view.status === 'failed' || view.status === 'cancelled');
    if (failed) throw new Error(`run ${failed.id} ${failed.status}`);
    if (views.every((view) => view.status === 'succeeded')) return views;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/**
 * The production shape under load: the API and two generate workers as processes (`apps/api`, `apps/worker`) on
 * a scratch database and Redis; two teams submit 10 synthetic runs each (10,000 samples of length 128, shards of
 * 1,000) and team A a run of 100,000 (shards of 5,000), all at once, while 4 clients list runs. Reports GET /runs
 * p50/p99 while the runs go and samples stored per second over the whole load (first submit to last run settled);
 * writes bench/results/api-load.json (`--quick`: api-load.quick.tmp.json).
 */
export const apiLoadSuite: BenchSuite = {
  name: 'api-load',
  description:
    'API + 2 workers as processes: 20 concurrent runs of two teams plus a 100k run; GET /runs p50/p99 under load, samples/s stored; needs PostgreSQL (DATABASE_URL or embedded) and Redis',
  // Queue and database work; the tensor backend does not matter.
  backends: ['cpu'],
  async run({ quick }) {
    const scale = quick ? QUICK_SCALE : 1;
    const base = loadConfigOrExit();
    const redisUrl = base.queue.redisUrl ?? DEFAULT_REDIS_URL;
    if (!(await redisAnswers(redisUrl))) throw new Error(`api-load needs Redis; none answers at ${redisUrl}`);
    const database = await scratchDatabase(base);
    const adminKey = `bench-admin-${randomBytes(8).toString('hex')}`;
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: `bench-load-${randomBytes(4).toString('hex')}`,
      LOG_LEVEL: 'warn',
      TEAM_MAX_ACTIVE_RUNS: String(RUNS_PER_TEAM + 1),
    };
    const processes: WorkerProcess[] = [];
    const killOnExit = () => processes.forEach((child) => child.child.kill('SIGKILL'));
    process.once('exit', killOnExit);
    try {
      const api = await spawnApiProcess({ ...env, ADMIN_API_KEY: adminKey });
      processes.push(api);
      for (let i = 0; i < 2; i++)
        processes.push(await spawnWorkerProcess({ ...env, WORKER_QUEUES: 'generate' }));
      await Promise.all(processes.map((child) => child.ready()));
      const keys = await Promise.all(
        Array.from({ length: TEAMS }, (_, team) => teamKey(api.base, adminKey, `bench-team-${team}`)),
      );
      const submit = (key: string, numSamples: number, shardSize: number, seed: number) =>
        call<RunView>(api.base, key, 'POST', '/runs', {
          sampler: { kind: 'synthetic', generator: 'cbf', length: LENGTH },
          numSamples: Math.max(1, Math.round(numSamples * scale)),
          shardSize: Math.max(1, Math.round(shardSize * scale)),
          seed,
        }).then((run) => ({ id: run.id, key }));

      const loadAtStart = os.loadavg()[0];
      const started = performance.now();
      const runs = await Promise.all([
        ...Array.from({ length: TEAMS * RUNS_PER_TEAM }, (_, i) =>
          submit(keys[i % TEAMS], RUN_SAMPLES, RUN_SHARD, i + 1),
        ),
        submit(keys[0], BIG_RUN_SAMPLES, BIG_RUN_SHARD, 1000),
      ]);
      let settled = false;
      const listing = listWhile(api.base, keys, () => settled, LISTING_CLIENTS);
      const views = await waitForRuns(api.base, runs).finally(() => (settled = true));
      const wallSeconds = (performance.now() - started) / 1000;
      const latencies = await listing;
      const samples = views.reduce((sum, view) => sum + view.samplesStored, 0);
      const expected =
        TEAMS * RUNS_PER_TEAM * Math.round(RUN_SAMPLES * scale) + Math.round(BIG_RUN_SAMPLES * scale);
      if (samples !== expected) throw new Error(`stored ${samples} samples, expected ${expected}`);
      const latency = summariseLatencies(latencies);
      const samplesPerSecond = samples / wallSeconds;
      const load = { atStart: Number(loadAtStart.toFixed(2)), atEnd: Number(os.loadavg()[0].toFixed(2)) };
      mkdirSync(RESULTS_DIR, { recursive: true });
      writeFileSync(
        path.join(RESULTS_DIR, quick ? 'api-load.quick.tmp.json' : 'api-load.json'),
        `${JSON.stringify(
          {
            timestamp: new Date().toISOString(),
            quick: quick === true,
            shape: {
              api: 1,
              workers: 2,
              teams: TEAMS,
              runsPerTeam: RUNS_PER_TEAM,
              bigRun: 1,
              length: LENGTH,
            },
            samples,
            wallSeconds: Number(wallSeconds.toFixed(1)),
            samplesPerSecond: Math.round(samplesPerSecond),
            getRuns: { clients: LISTING_CLIENTS, ...latency },
            loadAverage1m: load,
            cpus: os.cpus().length,
          },
          null,
          2,
        )}\n`,
      );
      verdict =
        `api-load${quick ? ' (quick: not a measurement)' : ''}: GET /runs p50 ${latency.p50Ms.toFixed(1)} ms, ` +
        `p99 ${latency.p99Ms.toFixed(1)} ms under ${runs.length} concurrent runs; ` +
        `${Math.round(samplesPerSecond)} samples/s stored (${samples} in ${wallSeconds.toFixed(1)} s), ` +
        `load ${load.atStart} → ${load.atEnd}`;
      return [
        latencyResult('GET /runs during 21 concurrent runs', latency, Math.min(...latencies)),
        {
          case: 'samples stored, first submit to last run settled',
          value: samplesPerSecond,
          unit: 'samples/s',
          medianMs: wallSeconds * 1000,
          minMs: wallSeconds * 1000,
          iterations: 1,
        },
      ];
    } finally {
      for (const child of processes) child.child.kill('SIGTERM');
      await Promise.all(processes.map((child) => child.exited));
      process.removeListener('exit', killOnExit);
      await database.drop();
    }
  },
  summary: () => verdict,
};
