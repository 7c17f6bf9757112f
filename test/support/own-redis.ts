import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitFor } from './services';

const run = promisify(execFile);

/** Whether redis-server is on the PATH (the tests that stop a Redis start their own, never the shared one). */
export const canStartOwnRedis = (() => {
  try {
    return (process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, 'redis-server')));
  } catch {
    return false;
  }
})();

export interface OwnRedis {
  url: string;
  port: number;
  /** Stops it (SIGTERM to its own pid), as an outage. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty unless started with `appendOnly`). */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A Redis of the test's own on a free port, which the test may stop and start. No persistence by default; with
 * `appendOnly` an append-only file as in production (it writes the file on SIGTERM), so a restart keeps the queues.
 */
export async function startOwnRedis(options: { appendOnly?: boolean } = {}): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mg-redis-'));
  const pidFile = join(dir, 'redis.pid');
  const ping = async () => {
    try {
      const { stdout } = await run('redis-cli', ['-p', String(port), 'ping']);
      return stdout.trim() === 'PONG';
    } catch {
      return false;
    }
  };
  const start = async () => {
    await run('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      options.appendOnly ? 'yes' : 'no',
      '--daemonize',
      'yes',
      '--dir',
      dir,
      '--pidfile',
      pidFile,
      '--logfile',
      join(dir, 'redis.log'),
    ]);
    await waitFor('own redis to answer', async () => ((await ping()) ? true : undefined), 10_000);
  };
  const stop = async () => {
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    await waitFor('own redis to stop', async () => ((await ping()) ? undefined : true), 10_000);
    await waitFor('own redis to exit', () => Promise.resolve(existsSync(pidFile) ? undefined : true), 10_000);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
