/**
 * Issue 21: during a PostgreSQL outage the API answered 500. It must answer 503 with Retry-After (the client may
 * retry), and 200 again once the database is back, without a restart. Runs against a PostgreSQL of its own
 * (initdb + pg_ctl on a free port), which it stops and starts; the shared one is never touched.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { UNAVAILABLE_RETRY_AFTER_SECONDS } from '@maskgen/runtime';
import { newTeamKey, startApiApp, type ApiApp } from './support/api-server';
import { canStartOwnPostgres, startOwnPostgres, type OwnPostgres } from './support/own-postgres';
import { uniqueSuffix, waitFor } from './support/services';
import { migrate } from './support/worker-app';

describe(
  'API during a database outage',
  { skip: !canStartOwnPostgres && 'no PostgreSQL 15 binaries' },
  () => {
    let pg: OwnPostgres;
    let api: ApiApp;
    let key: string;
    let runId: string;
    const adminKey = `admin-${uniqueSuffix()}-0123456789abcdef`;

    const get = (path: string) => fetch(`${api.base}${path}`, { headers: { 'x-api-key': key } });

    before(async () => {
      pg = await startOwnPostgres('maskgen');
      await migrate(pg.url);
      // The API alone: an in-process worker would fail its jobs during the outage, which is not under test here.
      api = await startApiApp(pg.url, {
        label: 'db-outage',
        withWorker: false,
        env: { ADMIN_API_KEY: adminKey },
      });
      key = await newTeamKey(api.base, adminKey, 'outage');
      const created = await fetch(`${api.base}/runs`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({
          sampler: { kind: 'synthetic', generator: 'cbf', length: 16 },
          numSamples: 10,
        }),
      });
      assert.equal(created.status, 201, await created.clone().text());
      runId = ((await created.json()) as { id: string }).id;
    });

    after(async () => {
      await api?.app.close().catch(() => undefined);
      await pg?.destroy();
    });

    test('503 with Retry-After while PostgreSQL is down, 200 once it is back', async () => {
      assert.equal((await get(`/runs/${runId}`)).status, 200);

      await pg.stop();
      // The first requests meet pooled connections the shutdown terminated, later ones a refused connect.
      for (const path of [`/runs/${runId}`, `/runs/${runId}`, '/runs', `/runs/${runId}/samples?format=csv`]) {
        const response = await get(path);
        const body = await response.text();
        assert.equal(response.status, 503, `${path}: ${response.status} ${body}`);
        assert.equal(response.headers.get('retry-after'), String(UNAVAILABLE_RETRY_AFTER_SECONDS));
        assert.match(body, /database is unavailable/);
      }
      // What needs no database answers as before: a missing key is a 401, the process is live.
      assert.equal((await fetch(`${api.base}/runs`)).status, 401);
      assert.equal((await fetch(`${api.base}/health/live`)).status, 200);

      await pg.start();
      const back = await waitFor(
        'GET /runs/:id to answer 200 again',
        async () => {
          const response = await get(`/runs/${runId}`);
          return response.status === 200 ? ((await response.json()) as { id: string }) : undefined;
        },
        30_000,
        250,
      );
      assert.equal(back.id, runId);
    });
  },
);
