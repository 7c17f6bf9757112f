/**
 * GET /events: a team's client receives `run` events of its own runs up to
 * `succeeded`, and none of another team's; keepalive comments; streams are
 * released when the client disconnects. In local mode (one process,
 * PostgreSQL queues, in-process bus) and with Redis (API and a separate
 * worker process, events over Redis pub/sub).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import 'reflect-metadata';
import { EventsController } from '../apps/api/src/events/events.controller';
import { newTeamKey, startApiApp, type ApiApp } from './support/api-server';
import { apiCall } from './support/http';
import { testRedisUrl, uniqueSuffix, waitFor, type TestDatabase } from './support/services';
import { openEventStream, type ServerSentEvent } from './support/sse-client';
import { createMigratedDatabase } from './support/worker-app';
import { spawnWorkerProcess, type WorkerProcess } from './support/worker-process';

const ADMIN_KEY = `admin-${uniqueSuffix()}-0123456789abcdef`;

interface RunEventData {
  id: string;
  status: string;
  progress: number;
}

const runData = (event: ServerSentEvent) => event.data as RunEventData;

function startApi(
  db: TestDatabase,
  options: { redisUrl?: string; queuePrefix: string; withWorker: boolean },
): Promise<ApiApp> {
  return startApiApp(db.url, {
    label: 'events',
    redisUrl: options.redisUrl ?? null,
    queuePrefix: options.queuePrefix,
    withWorker: options.withWorker,
    env: { ADMIN_API_KEY: ADMIN_KEY, EVENTS_KEEPALIVE_MS: '200' },
  });
}

const call = (base: string, method: string, url: string, key: string, body?: unknown) =>
  apiCall(base, key, method, url, body);

const teamKey = (base: string, name: string) => newTeamKey(base, ADMIN_KEY, name);

/** The scenario both variants run. */
async function eachTeamSeesOnlyItsOwnRuns(app: INestApplication, base: string) {
  const keyA = await teamKey(base, `events-a-${uniqueSuffix()}`);
  const keyB = await teamKey(base, `events-b-${uniqueSuffix()}`);

  const anonymous = await fetch(`${base}/events`);
  assert.equal(anonymous.status, 401);
  assert.match(((await anonymous.json()) as { message: string }).message, /API key/);

  const streamA = await openEventStream(`${base}/events`, keyA);
  const streamB = await openEventStream(`${base}/events`, keyB);
  try {
    assert.equal(streamA.status, 200);
    assert.match(streamA.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(app.get(EventsController).openStreams, 2);

    const request = {
      sampler: { kind: 'synthetic', generator: 'cbf', length: 64 },
      numSamples: 300,
      shardSize: 100,
    };
    const runA = await call(base, 'POST', '/runs', keyA, { ...request, seed: 1 });
    const runB = await call(base, 'POST', '/runs', keyB, { ...request, seed: 2 });
    assert.equal(runA.status, 201);
    assert.equal(runB.status, 201);

    const isDone = (id: unknown) => (event: ServerSentEvent) =>
      event.event === 'run' && runData(event).id === id && runData(event).status === 'succeeded';
    await streamA.waitForEvent(`team A's run to succeed`, isDone(runA.json.id));
    await streamB.waitForEvent(`team B's run to succeed`, isDone(runB.json.id));

    for (const [stream, own] of [
      [streamA, runA.json.id],
      [streamB, runB.json.id],
    ] as const) {
      const seen = stream.events.map(runData);
      assert.ok(
        seen.every((data) => data.id === own),
        `a team saw another team's run: ${JSON.stringify(seen)}`,
      );
      assert.equal(seen[0]?.status, 'queued');
      assert.ok(seen.some((data) => data.status === 'running'));
      assert.deepEqual(seen.at(-1), { ...seen.at(-1), status: 'succeeded', progress: 1 });
      const progress = seen.map((data) => data.progress);
      assert.deepEqual(
        progress,
        [...progress].sort((a, b) => a - b),
        'progress never goes back',
      );
    }
    assert.ok(streamA.comments.includes('keepalive'), 'keepalive comments arrive');
  } finally {
    streamA.close();
    streamB.close();
  }
  await waitFor('the closed streams to be released', () =>
    Promise.resolve(app.get(EventsController).openStreams === 0 ? true : undefined),
  );
}

describe('GET /events in local mode (one process, PostgreSQL queues, in-process events)', () => {
  let db: TestDatabase;
  let api: ApiApp;

  before(async () => {
    db = await createMigratedDatabase('events_local');
    api = await startApi(db, { queuePrefix: `events-${uniqueSuffix()}`, withWorker: true });
  });

  after(async () => {
    await api.app.close();
    await db.drop();
  });

  test("a team receives its runs' events up to succeeded, and none of another team's", async () => {
    await eachTeamSeesOnlyItsOwnRuns(api.app, api.base);
  });
});

const redisUrl = testRedisUrl();
describe(
  'GET /events with Redis (API and a worker process, events over pub/sub)',
  { skip: !redisUrl && 'no Redis' },
  () => {
    let db: TestDatabase;
    let api: ApiApp;
    let worker: WorkerProcess;
    const queuePrefix = `events-${uniqueSuffix()}`;

    before(async () => {
      db = await createMigratedDatabase('events_redis');
      api = await startApi(db, { redisUrl, queuePrefix, withWorker: false });
      worker = await spawnWorkerProcess({
        DATABASE_URL: db.url,
        REDIS_URL: redisUrl!,
        QUEUE_PREFIX: queuePrefix,
        WORKER_QUEUES: 'generate',
      });
      await worker.ready();
    });

    after(async () => {
      worker?.child.kill('SIGTERM');
      await worker?.exited;
      await api?.app.close();
      await db?.drop();
    });

    test("a team receives its runs' events up to succeeded, and none of another team's", async () => {
      await eachTeamSeesOnlyItsOwnRuns(api.app, api.base);
    });

    test('an open stream does not hold up the shutdown of the API', { timeout: 20_000 }, async () => {
      const key = await teamKey(api.base, `events-c-${uniqueSuffix()}`);
      const stream = await openEventStream(`${api.base}/events`, key);
      assert.equal(stream.status, 200);
      const started = Date.now();
      await api.app.close();
      assert.ok(Date.now() - started < 5000, 'closed promptly');
      stream.close();
      api = await startApi(db, { redisUrl, queuePrefix, withWorker: false });
    });
  },
);
