import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { waitFor } from './services';
import { tsEntryArgs } from './ts-entry';

const ROOT = path.resolve(__dirname, '../..');

export interface LocalInstance {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * Runs what `npm start` runs, with nothing configured but ports and the data directory (and `extraEnv`,
 * e.g. shorter worker lock durations).
 */
export function startLocal(
  dataDir: string,
  port: number,
  pgPort: number,
  extraEnv: Record<string, string> = {},
): LocalInstance {
  const child = spawn(process.execPath, tsEntryArgs('apps/local/src/main.ts'), {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      EMBEDDED_PG_PORT: String(pgPort),
      MASKGEN_DATA_DIR: dataDir,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Waits for GET /health/ready to answer 200 and returns its body; fails at once if the process exits. */
export async function ready(port: number, instance: LocalInstance): Promise<Record<string, unknown>> {
  return waitFor(
    'GET /health/ready to answer 200',
    async () => {
      if (instance.child.exitCode !== null) throw new Error(`local mode exited early:\n${instance.output()}`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
        return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    },
    90_000,
    250,
  );
}

/** Pids of the worker child processes local mode started, in order (from its `worker process started` log lines). */
export function workerPids(instance: LocalInstance): number[] {
  return instance
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"worker process started"'))
    .map((line) => (JSON.parse(line) as { pid: number }).pid);
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits until the instance answers ready, then its base URL and the team's API key it wrote to `dataDir`. */
export async function readyWithKey(
  port: number,
  instance: LocalInstance,
  dataDir: string,
): Promise<{ base: string; key: string }> {
  await ready(port, instance);
  const key = (await readFile(path.join(dataDir, 'api-key'), 'utf8')).trim();
  return { base: `http://127.0.0.1:${port}`, key };
}

/** A small JSON call to a local instance with the team's key; throws on a non-2xx answer. */
export async function callLocal<T = Record<string, unknown>>(
  base: string,
  key: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** A small synthetic CBF dataset (128 steps, 10 series per class and split, seed 1) on an instance; its id. */
export async function smallCbfDataset(base: string, key: string, name: string): Promise<string> {
  const body = { name, generator: 'cbf', length: 128, trainPerClass: 10, testPerClass: 10, seed: 1 };
  return (await callLocal<{ id: string }>(base, key, 'POST', '/datasets/synthetic', body)).id;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Nearest-rank percentiles of request latencies. */
export function summariseLatencies(latencies: readonly number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
  return { count: sorted.length, p50Ms: rank(0.5), p99Ms: rank(0.99), maxMs: sorted[sorted.length - 1] };
}

/** Milliseconds of `count` sequential GET /runs, each read to its end. */
export async function timeListRuns(base: string, key: string, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await fetch(`${base}/runs`, { headers: { 'x-api-key': key } });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`GET /runs answered ${response.status}`);
    latencies.push(performance.now() - started);
  }
  return latencies;
}

/**
 * Starts training a model (POST /models) and, once the worker has taken it (status `training`), times
 * GET /runs in batches of 10 until `count` are measured or training ends; only batches that started
 * and ended while the model was training are kept.
 */
export async function listRunsLatencyWhileTraining(
  base: string,
  key: string,
  options: { datasetId: string; profile: string; count: number; timeoutMs?: number },
): Promise<{ modelId: string; latencies: number[] }> {
  const model = await callLocal<{ id: string }>(base, key, 'POST', '/models', {
    datasetId: options.datasetId,
    profile: options.profile,
    seed: 1,
  });
  const status = async () =>
    (await callLocal<{ status: string }>(base, key, 'GET', `/models/${model.id}`)).status;
  await waitFor(
    'the worker to start training',
    async () => {
      const now = await status();
      if (now !== 'pending' && now !== 'training') throw new Error(`the model is ${now} before training`);
      return now === 'training' ? true : undefined;
    },
    options.timeoutMs ?? 120_000,
    200,
  );
  const latencies: number[] = [];
  while (latencies.length < options.count) {
    const batch = await timeListRuns(base, key, Math.min(10, options.count - latencies.length));
    if ((await status()) !== 'training') break;
    latencies.push(...batch);
  }
  return { modelId: model.id, latencies };
}
