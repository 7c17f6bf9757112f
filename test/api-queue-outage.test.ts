/**
 * Issue 21 D3: while Redis was down, POST /runs gave no answer (ioredis queued the enqueue until Redis came
 * back) yet created the run and ran it later, so a client that timed out and retried made a duplicate. The
 * creating endpoints must answer 503 with Retry-After within seconds, leave nothing behind, and work again
 * once Redis is back. Runs against a Redis of its own, which it stops and starts; the shared one is never touched.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DatasetRepository, ModelEntity, ModelRepository } from '@maskgen/persistence';
import { UNAVAILABLE_RETRY_AFTER_SECONDS } from '@maskgen/runtime';
import { DataSource } from 'typeorm';
import { newTeamKey, startApiApp, type ApiApp } from './support/api-server';
import { canStartOwnRedis, startOwnRedis, type OwnRedis } from './support/own-redis';
import { uniqueSuffix, waitFor, type TestDatabase } from './support/services';
import { createMigratedDatabase } from './support/worker-app';

/** Far below the 20 s the issue waited in vain; the API's own bound is a few seconds. */
const ANSWER_WITHIN_MS = 8_000;
const RUN = { sampler: { kind: 'synthetic', generator: 'cbf', length: 16 }, numSamples: 10 };

describe('creating endpoints during a Redis outage', { skip: !canStartOwnRedis && 'no redis-server' }, () => {
  let redis: OwnRedis;
  let db: TestDatabase;
  let api: ApiApp;
  let key: string;
  let datasetId: string;
  const adminKey = `admin-${uniqueSuffix()}-0123456789abcdef`;

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${api.base}${path}`, {
      method,
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
    });
  const total = async (path: string) => ((await (await call('GET', path)).json()) as { total: number }).total;

  before(async () => {
    redis = await startOwnRedis();
    db = await createMigratedDatabase('queue-outage');
    // The API alone: the outage is about answering requests, not about workers riding it out.
    api = await startApiApp(db.url, {
      label: 'queue-outage',
      redisUrl: redis.url,
      withWorker: false,
      env: { ADMIN_API_KEY: adminKey },
    });
    key = await newTeamKey(api.base, adminKey, 'queue-outage');
    const dataset = await call('POST', '/datasets/builtin', { dataset: 'GunPoint' });
    assert.equal(dataset.status, 201, await dataset.clone().text());
    datasetId = ((await dataset.json()) as { id: string }).id;
    // A ready model row is all POST /evaluations checks before it enqueues (training one would take minutes).
    const teamId = (await api.app.get(DatasetRepository).findById(datasetId))!.teamId;
    const model = await api.app
      .get(ModelRepository)
      .create({ teamId, datasetId, name: 'seeded', profile: 'tiny', seed: 0 });
    await api.app.get(DataSource).getRepository(ModelEntity).update(model.id, { status: 'ready' });
    const created = await call('POST', '/runs', RUN);
    assert.equal(created.status, 201, await created.clone().text());
  });

  after(async () => {
    await redis?.start().catch(() => undefined);
    await api?.app.close().catch(() => undefined);
    await redis?.destroy();
    await db?.drop();
  });

  test('answers 503 with Retry-After at once and creates nothing; works again once Redis is back', async () => {
    const [runsBefore, modelsBefore, evaluationsBefore] = [
      await total('/runs'),
      await total('/models'),
      await total('/evaluations'),
    ];
    await redis.stop();

    const expectUnavailable = async (method: string, path: string, body: unknown) => {
      const started = Date.now();
      const response = await call(method, path, body);
      assert.equal(response.status, 503, `${method} ${path}: ${await response.clone().text()}`);
      assert.equal(response.headers.get('retry-after'), String(UNAVAILABLE_RETRY_AFTER_SECONDS));
      assert.match(((await response.json()) as { message: string }).message, /queue is unavailable/);
      assert.ok(Date.now() - started < ANSWER_WITHIN_MS);
    };
    await expectUnavailable('POST', '/runs', RUN);
    await expectUnavailable('POST', '/runs', RUN);
    await expectUnavailable('POST', '/models', { datasetId, profile: 'tiny' });
    await expectUnavailable('POST', '/evaluations', { datasetId, split: 'train' });
    await expectUnavailable('PUT', '/schedules/nightly', {
      cron: '0 2 * * *',
      timezone: 'UTC',
      run: RUN,
    });
    // Nothing half-created: no run or model row for the refused requests (the reconciler finds nothing to run).
    assert.equal(await total('/runs'), runsBefore);
    assert.equal(await total('/models'), modelsBefore);
    assert.equal(await total('/evaluations'), evaluationsBefore);

    await redis.start();
    const created = await waitFor(
      'POST /runs to succeed after Redis is back',
      async () => {
        const response = await call('POST', '/runs', RUN);
        return response.status === 201 ? response : undefined;
      },
      30_000,
      500,
    );
    assert.equal(((await created.json()) as { status: string }).status, 'queued');
    assert.equal(await total('/runs'), runsBefore + 1);
    const evaluation = await call('POST', '/evaluations', { datasetId, split: 'train' });
    assert.equal(evaluation.status, 202, await evaluation.clone().text());
    assert.equal(await total('/evaluations'), evaluationsBefore + 1);
  });
});
