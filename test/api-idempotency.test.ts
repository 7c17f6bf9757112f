/**
 * Issue 21: a client that timed out and retried POST /runs made a second run. With an Idempotency-Key, a retry
 * (same team, same key) gets the first response and creates nothing, also when both requests arrive at once;
 * the same key with another body is a 422; other teams' keys are their own.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import 'reflect-metadata';
import { MaskgenClient } from '@maskgen/client';
import { DataSource } from 'typeorm';
import { startApiServer, type ApiServer } from './support/api-server';
import { apiCall } from './support/http';

const RUN = { sampler: { kind: 'synthetic', generator: 'cbf', length: 16 }, numSamples: 20, seed: 3 };

describe('Idempotency-Key on creating endpoints', () => {
  let server: ApiServer;

  /** A request as the holder of `apiKey`, with an Idempotency-Key when one is given. */
  const call = async (
    method: string,
    path: string,
    apiKey: string,
    body: unknown,
    idempotencyKey?: string,
  ) => {
    const headers: Record<string, string> =
      idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey };
    const answer = await apiCall(server.base, apiKey, method, path, body, { headers });
    return { status: answer.status, replayed: answer.headers.get('idempotent-replayed'), text: answer.text };
  };
  let keyB: string;
  const total = async (path: string, apiKey: string) =>
    (JSON.parse((await call('GET', path, apiKey, undefined)).text) as { total: number }).total;

  before(async () => {
    server = await startApiServer('idempotency');
    keyB = await server.newTeamKey('team-b');
  });

  after(async () => {
    await server?.close();
  });

  test('a retry with the same key gets the first response and creates no second run', async () => {
    const before = await total('/runs', server.key);
    const key = randomUUID();
    const first = await call('POST', '/runs', server.key, RUN, key);
    assert.equal(first.status, 201, first.text);
    assert.equal(first.replayed, null);
    // Key order in the body does not make it another request.
    const retry = await call(
      'POST',
      '/runs',
      server.key,
      { numSamples: 20, seed: 3, sampler: RUN.sampler },
      key,
    );
    assert.equal(retry.status, 201, retry.text);
    assert.equal(retry.replayed, 'true');
    assert.equal(retry.text, first.text);
    assert.equal(await total('/runs', server.key), before + 1);
  });

  test('two requests with one key at once create one run, and both get it', async () => {
    const before = await total('/runs', server.key);
    const key = randomUUID();
    const both = await Promise.all([
      call('POST', '/runs', server.key, RUN, key),
      call('POST', '/runs', server.key, RUN, key),
    ]);
    assert.deepEqual(
      both.map((response) => response.status),
      [201, 201],
      both.map((response) => response.text).join('\n'),
    );
    assert.equal(both[0].text, both[1].text);
    assert.deepEqual(both.map((response) => response.replayed).sort(), ['true', null].sort());
    assert.equal(await total('/runs', server.key), before + 1);
  });

  test('the same key with another body or route is a 422 naming the conflict; nothing is created', async () => {
    const key = randomUUID();
    assert.equal((await call('POST', '/runs', server.key, RUN, key)).status, 201);
    const before = await total('/runs', server.key);
    const otherBody = await call('POST', '/runs', server.key, { ...RUN, numSamples: 21 }, key);
    assert.equal(otherBody.status, 422, otherBody.text);
    assert.match(otherBody.text, /already used for a different request \(POST \/runs with another body\)/);
    const otherRoute = await call('POST', '/datasets/builtin', server.key, { dataset: 'GunPoint' }, key);
    assert.equal(otherRoute.status, 422, otherRoute.text);
    assert.match(otherRoute.text, /POST \/runs/);
    assert.equal(await total('/runs', server.key), before);
  });

  test("another team's identical key is its own", async () => {
    const key = randomUUID();
    const a = await call('POST', '/runs', server.key, RUN, key);
    const b = await call('POST', '/runs', keyB, RUN, key);
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 201, b.text);
    assert.equal(b.replayed, null);
    assert.notEqual((JSON.parse(a.text) as { id: string }).id, (JSON.parse(b.text) as { id: string }).id);
  });

  test('a refused first request keeps nothing: the key then serves a valid request', async () => {
    const key = randomUUID();
    const refused = await call('POST', '/runs', server.key, { ...RUN, numSamples: -1 }, key);
    assert.equal(refused.status, 400, refused.text);
    const valid = await call('POST', '/runs', server.key, { ...RUN, numSamples: 5 }, key);
    assert.equal(valid.status, 201, valid.text);
    assert.equal(valid.replayed, null);
  });

  test('datasets and models: one resource per key, the 202 of POST /models replayed as 202', async () => {
    const datasetsBefore = await total('/datasets', server.key);
    const key = randomUUID();
    const first = await call('POST', '/datasets/builtin', server.key, { dataset: 'GunPoint' }, key);
    const again = await call('POST', '/datasets/builtin', server.key, { dataset: 'GunPoint' }, key);
    assert.equal(first.status, 201, first.text);
    assert.equal(again.text, first.text);
    assert.equal(await total('/datasets', server.key), datasetsBefore + 1);

    const datasetId = (JSON.parse(first.text) as { id: string }).id;
    const modelKey = randomUUID();
    const model = await call('POST', '/models', server.key, { datasetId, profile: 'tiny' }, modelKey);
    assert.equal(model.status, 202, model.text);
    const modelAgain = await call('POST', '/models', server.key, { datasetId, profile: 'tiny' }, modelKey);
    assert.equal(modelAgain.status, 202);
    assert.equal(modelAgain.replayed, 'true');
    assert.equal(
      (JSON.parse(modelAgain.text) as { id: string }).id,
      (JSON.parse(model.text) as { id: string }).id,
    );
    assert.equal(await total('/models', server.key), 1);
    // Not trained here: stop it.
    await call(
      'POST',
      `/models/${(JSON.parse(model.text) as { id: string }).id}/cancel`,
      server.key,
      undefined,
    );
  });

  test('a key is forgotten once expired, and a malformed key is a 400', async () => {
    const key = randomUUID();
    const first = await call('POST', '/runs', server.key, RUN, key);
    assert.equal(first.status, 201, first.text);
    await server.app
      .get(DataSource)
      .query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`, [key]);
    const later = await call('POST', '/runs', server.key, RUN, key);
    assert.equal(later.status, 201, later.text);
    assert.equal(later.replayed, null);
    assert.notEqual(
      (JSON.parse(later.text) as { id: string }).id,
      (JSON.parse(first.text) as { id: string }).id,
    );

    const malformed = await call('POST', '/runs', server.key, RUN, 'x'.repeat(256));
    assert.equal(malformed.status, 400, malformed.text);
  });

  test('the client sends one key per call and its retry after a lost answer creates one run', async () => {
    const before = await total('/runs', server.key);
    const keys: (string | null)[] = [];
    let dropped = false;
    const client = new MaskgenClient({
      baseUrl: server.base,
      apiKey: server.key,
      // The first POST reaches the API (which creates the run), but its answer is lost on the way back.
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (init?.method === 'POST') keys.push(new Headers(init.headers).get('idempotency-key'));
        if (init?.method === 'POST' && !dropped) {
          dropped = true;
          throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
        }
        return response;
      },
    });
    const run = await client.createRun(RUN as Parameters<MaskgenClient['createRun']>[0]);
    assert.equal(keys.length, 2);
    assert.ok(keys[0]);
    assert.equal(keys[1], keys[0]);
    assert.equal(await total('/runs', server.key), before + 1);
    assert.equal((await client.getRun(run.id)).id, run.id);
    // Another call is another creation: a fresh key.
    await client.createRun(RUN as Parameters<MaskgenClient['createRun']>[0]);
    assert.notEqual(keys[2], keys[0]);
    assert.equal(await total('/runs', server.key), before + 2);
  });

  test('uploads: the same files with one key make one dataset, other file contents are a 422', async () => {
    const rows = (count: number, phase: number) =>
      Array.from({ length: count }, (_, i) =>
        [String(1 + (i % 2)), ...Array.from({ length: 16 }, (_, t) => String(Math.sin(t + i + phase)))].join(
          '\t',
        ),
      ).join('\n');
    const upload = async (phase: number, key: string) => {
      const form = new FormData();
      form.append('name', 'idem-upload');
      form.append('train', new Blob([rows(12, phase)]), 'x_TRAIN.tsv');
      form.append('test', new Blob([rows(12, 0)]), 'x_TEST.tsv');
      const response = await fetch(`${server.base}/datasets/upload`, {
        method: 'POST',
        headers: { 'x-api-key': server.key, 'idempotency-key': key },
        body: form,
      });
      return { status: response.status, text: await response.text() };
    };
    const before = await total('/datasets', server.key);
    const key = randomUUID();
    const first = await upload(0, key);
    assert.equal(first.status, 201, first.text);
    const again = await upload(0, key);
    assert.equal(again.status, 201, again.text);
    assert.equal(again.text, first.text);
    const otherFile = await upload(1, key);
    assert.equal(otherFile.status, 422, otherFile.text);
    assert.equal(await total('/datasets', server.key), before + 1);
  });
});
