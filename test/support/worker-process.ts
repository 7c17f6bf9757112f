import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort, waitFor } from './services';
import { tsEntryArgs } from './ts-entry';

const ROOT = path.resolve(__dirname, '../..');

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the process wrote (JSON log lines on stdout, errors on stderr). */
  output(): string;
  /** Parsed JSON log lines so far. */
  logs(): Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until /health/ready answers 200, i.e. the worker consumes its queues. */
  ready(timeoutMs?: number): Promise<void>;
}

/** SIGKILLs those of `workers` still running and waits until every one has exited. */
export async function killWorkers(workers: readonly WorkerProcess[]): Promise<void> {
  for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  await Promise.all(workers.map((worker) => worker.exited));
}

/**
 * Starts `apps/worker/src/main.ts` as a separate process, as `npm run
 * start:worker` does, with only the given environment (plus PATH and a free
 * port), so a test can SIGKILL or SIGTERM a real worker.
 */
export function spawnWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  return spawnAppProcess('apps/worker/src/main.ts', env);
}

/** The API as its own process (`npm run start:api`); `base` is its URL. Readiness as for a worker. */
export async function spawnApiProcess(
  env: Record<string, string>,
): Promise<WorkerProcess & { base: string }> {
  const port = await freePort();
  const api = await spawnAppProcess('apps/api/src/main.ts', env, port);
  return { ...api, base: `http://127.0.0.1:${port}` };
}

async function spawnAppProcess(
  entry: string,
  env: Record<string, string>,
  port?: number,
): Promise<WorkerProcess> {
  port ??= await freePort();
  const child = spawn(process.execPath, tsEntryArgs(entry), {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const logs = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  return {
    child,
    output: () => output,
    logs,
    exited,
    ready: async (timeoutMs = 45_000) => {
      await waitFor(
        `${entry} to be ready`,
        async () => {
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`${entry} exited early:\n${output}`);
          }
          try {
            const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
            return response.status === 200 ? true : undefined;
          } catch {
            return undefined;
          }
        },
        timeoutMs,
        100,
      );
    },
  };
}
