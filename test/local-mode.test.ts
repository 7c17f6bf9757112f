import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { processAlive, ready, startLocal, workerPids } from './support/local-instance';
import { freePort, waitFor } from './support/services';

async function query<Row extends Record<string, unknown>>(
  pgPort: number,
  sql: string,
  params: unknown[] = [],
) {
  const client = new Client({
    connectionString: `postgres://postgres:maskgen-local@127.0.0.1:${pgPort}/maskgen`,
  });
  await client.connect();
  try {
    return await client.query<Row>(sql, params);
  } finally {
    await client.end();
  }
}

describe('local mode (npm start) with nothing configured', () => {
  let dataDir: string;
  let port: number;
  let pgPort: number;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'maskgen-local-'));
    port = await freePort();
    pgPort = await freePort();
  });

  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test('starts, serves health and docs, keeps data across restarts and recovers from a killed process', async () => {
    const first = startLocal(dataDir, port, pgPort);
    const health = await ready(port, first);
    assert.equal(health.status, 'ok');
    assert.match(first.output(), new RegExp(`maskgen is running at http://127\\.0\\.0\\.1:${port}`));

    const live = await fetch(`http://127.0.0.1:${port}/health/live`);
    assert.equal(live.status, 200);

    const spec = (await (await fetch(`http://127.0.0.1:${port}/docs/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    assert.ok(spec.paths['/health/ready']);

    // A caller's request id is echoed, and appears in the JSON request log; errors are JSON.
    const missing = await fetch(`http://127.0.0.1:${port}/no-such-route`, {
      headers: { 'x-request-id': 'trace-123' },
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('x-request-id'), 'trace-123');
    assert.match(((await missing.json()) as { message: string }).message, /Cannot GET \/no-such-route/);
    const generated = await fetch(`http://127.0.0.1:${port}/health/live`);
    assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    await waitFor('the request log line', () =>
      Promise.resolve(
        first
          .output()
          .split('\n')
          .some(
            (line) =>
              line.startsWith('{') && (JSON.parse(line) as { requestId?: string }).requestId === 'trace-123',
          )
          ? true
          : undefined,
      ),
    );

    // Migrations ran; the queue backend is BullMQ's PostgreSQL schema in the same database.
    await query(pgPort, `INSERT INTO teams (name) VALUES ($1)`, ['kept-across-restarts']);
    const schemas = await query(
      pgPort,
      `SELECT schema_name FROM information_schema.schemata WHERE schema_name = 'bullmq'`,
    );
    assert.equal(schemas.rowCount, 1);

    // A second instance on the same data directory is refused, not allowed to corrupt it.
    const intruder = startLocal(dataDir, await freePort(), pgPort);
    assert.equal(await intruder.exited, 1);
    assert.match(intruder.output(), /Another maskgen local instance/);

    // The worker runs in a child process; stopping local mode stops it too (no orphan).
    const [firstWorker] = await waitFor('the worker child to start', () =>
      Promise.resolve(workerPids(first).length > 0 ? workerPids(first) : undefined),
    );
    assert.ok(processAlive(firstWorker));
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.output());
    assert.equal(processAlive(firstWorker), false, 'the worker child is gone with its parent');

    const second = startLocal(dataDir, port, pgPort);
    await ready(port, second);
    const kept = await query(pgPort, `SELECT name FROM teams WHERE name = $1`, ['kept-across-restarts']);
    assert.equal(kept.rowCount, 1);

    // SIGKILL leaves PostgreSQL running and its pid file behind; the next start recovers.
    const [secondWorker] = await waitFor('the worker child to start', () =>
      Promise.resolve(workerPids(second).length > 0 ? workerPids(second) : undefined),
    );
    second.child.kill('SIGKILL');
    await second.exited;
    // Even a killed parent leaves no worker behind: the child stops when its IPC channel closes.
    await waitFor('the orphaned worker child to exit', () =>
      Promise.resolve(processAlive(secondWorker) ? undefined : true),
    );
    const third = startLocal(dataDir, port, pgPort);
    await ready(port, third);
    assert.match(third.output(), /stopping PostgreSQL left running by a previous local instance/);
    const stillKept = await query<{ n: number }>(
      pgPort,
      `SELECT count(*)::int AS n FROM teams WHERE name = $1`,
      ['kept-across-restarts'],
    );
    assert.equal(stillKept.rows[0]?.n, 1);
    third.child.kill('SIGTERM');
    assert.equal(await third.exited, 0, third.output());
  });
});
