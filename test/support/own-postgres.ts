import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './services';

const exec = promisify(execFile);

/** PostgreSQL server binaries of the Debian packages (CI and the dev image have version 15). */
const BIN_DIR = [
  '/usr/lib/postgresql/15/bin',
  '/usr/lib/postgresql/16/bin',
  '/usr/lib/postgresql/17/bin',
].find((dir) => existsSync(path.join(dir, 'pg_ctl')));

/** Whether this machine can run a PostgreSQL of a test's own (initdb + pg_ctl). */
export const canStartOwnPostgres = BIN_DIR !== undefined;

export interface OwnPostgres {
  /** Superuser URL of the test's database. */
  url: string;
  /** Fast shutdown: open connections are terminated (57P01), new ones refused. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server, waits `downMs`, starts it again. */
  restart(downMs: number): Promise<void>;
  /** Stops the server and deletes its cluster. */
  destroy(): Promise<void>;
}

/**
 * A throw-away PostgreSQL cluster on a free port with database `database`, for tests that stop or
 * restart the database: the shared server of the test run must never be stopped. As root the server
 * runs as `postgres` (initdb refuses root).
 */
export async function startOwnPostgres(database = 'maskgen'): Promise<OwnPostgres> {
  if (!BIN_DIR) throw new Error('no PostgreSQL server binaries in /usr/lib/postgresql/*/bin');
  const bin = BIN_DIR;
  const dir = await mkdtemp(path.join(tmpdir(), 'mg-pg-'));
  const dataDir = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number((await exec('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await exec('id', ['-g', 'postgres'])).stdout.trim());
    await chown(dir, uid, gid);
  }
  const pg = (tool: string, args: string[]) =>
    asRoot
      ? exec('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args])
      : exec(path.join(bin, tool), args);
  await pg('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = async () => {
    await pg('pg_ctl', ['-D', dataDir, '-o', options, '-l', path.join(dir, 'log'), '-w', 'start']);
  };
  const stop = async () => {
    await pg('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
  };
  await start();
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  if (database !== 'postgres') {
    const client = new Client({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE DATABASE "${database}"`);
    await client.end();
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop,
    start,
    restart: async (downMs) => {
      await stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    destroy: async () => {
      await stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
