import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Client } from 'pg';

// Deep path, not @maskgen/runtime: scripts/test.ts loads this file and should not load NestJS for a port.
export { freePort } from '../../libs/runtime/src/free-port';

/** Set by scripts/test.ts: an admin URL of the PostgreSQL the run uses. */
export function adminDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests with `npm test`');
  return url;
}

/** Set by scripts/test.ts only when a Redis answered. */
export function testRedisUrl(): string | undefined {
  return process.env.TEST_REDIS_URL;
}

export interface QueueBackendUnderTest {
  readonly name: 'postgres' | 'redis';
  /** undefined: the PostgreSQL queue backend. */
  readonly redisUrl: string | undefined;
  /** Why this variant cannot run here (pass as `describe`'s `skip`, so it is reported, not silently left out). */
  readonly skip?: string;
}

/** The queue backends a test runs against: PostgreSQL always, Redis when one answered (else reported skipped). */
export function queueBackends(): QueueBackendUnderTest[] {
  const redisUrl = testRedisUrl();
  return [
    { name: 'postgres', redisUrl: undefined },
    redisUrl
      ? { name: 'redis', redisUrl }
      : { name: 'redis', redisUrl: undefined, skip: 'no Redis answered at REDIS_URL when the run started' },
  ];
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one test file, so files never see each other's rows. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  return createScratchDatabase(adminDatabaseUrl(), label);
}

/** A new empty database `mg_<label>_<random>` on the cluster of `admin` (tests and benchmarks); `drop` forces it away. */
export async function createScratchDatabase(admin: string, label: string): Promise<TestDatabase> {
  const name = `mg_${label.replace(/\W/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`.toLowerCase();
  await adminQuery(admin, `CREATE DATABASE "${name}"`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => adminQuery(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function adminQuery(admin: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The body of a synthetic CBF generation run: the series length, and how many samples (in which shards, from which seed). */
export function cbfRunBody<R extends { numSamples: number; shardSize?: number; seed?: number }>(
  length: number,
  rest: R,
) {
  return { sampler: { kind: 'synthetic' as const, generator: 'cbf' as const, length }, ...rest };
}

export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** Polls until `check` returns a value (not undefined) or the timeout passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Whether a Redis answers PING at `url` within a second (the test runner and the benchmarks ask before using it). */
export async function redisAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
