/**
 * The dashboard on a fresh clone: `npm start` builds it when it is missing, and a dashboard built after
 * the API started is served without a restart (the directory is looked up per request). Plain HTTP; the
 * browser tests in dashboard*.test.ts cover what the pages do.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findDashboardDir } from '../apps/api/src/dashboard/dashboard';
import { buildDashboard } from '../apps/dashboard/build';
import { startApiServer, type ApiServer } from './support/api-server';

/** GET / and the script it references; the script's status is undefined when the page names none. */
async function fetchDashboard(base: string): Promise<{ status: number; type: string; script?: number }> {
  const index = await fetch(`${base}/`);
  const html = await index.text();
  const script = /src="(\/dashboard\/app-[\w]+\.js)"/.exec(html)?.[1];
  return {
    status: index.status,
    type: index.headers.get('content-type') ?? '',
    script: script ? (await fetch(`${base}${script}`)).status : undefined,
  };
}

describe('dashboard on first start', () => {
  let root: string;
  const servers: ApiServer[] = [];

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'maskgen-dashboard-first-'));
  });

  after(async () => {
    for (const server of servers) await server.close();
    await rm(root, { recursive: true, force: true });
  });

  test('a start without a built dashboard builds it and serves it at /', async () => {
    const dashboardDir = path.join(root, 'fresh', 'dist', 'dashboard');
    const server = await startApiServer('dash-fresh', {}, { dashboardDir, buildDashboard: true });
    servers.push(server);
    const served = await fetchDashboard(server.base);
    assert.equal(served.status, 200);
    assert.match(served.type, /text\/html/);
    assert.equal(served.script, 200);
  });

  test('a dashboard built after the API started is served without a restart', async () => {
    // As `npm start` finds it: dist/dashboard under the nearest ancestor of the API's source that has one.
    const source = path.join(root, 'later', 'apps', 'api', 'src', 'dashboard');
    const dashboardDir = path.join(root, 'later', 'dist', 'dashboard');
    const server = await startApiServer('dash-later', {}, { dashboardDir: () => findDashboardDir(source) });
    servers.push(server);
    const before = await fetchDashboard(server.base);
    assert.equal(before.status, 503);
    assert.equal((await fetch(`${server.base}/dashboard/app.js`)).status, 404);

    await buildDashboard(dashboardDir);
    const after = await fetchDashboard(server.base);
    assert.equal(after.status, 200);
    assert.match(after.type, /text\/html/);
    assert.equal(after.script, 200);
    // The API's own routes are unchanged: still behind the key.
    assert.equal((await fetch(`${server.base}/runs`)).status, 401);
  });
});
