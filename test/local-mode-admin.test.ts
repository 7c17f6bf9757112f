/**
 * Local mode (`npm start`) with nothing configured gives its user the queue dashboard: an admin key is
 * made on first start, printed and kept in the data directory (like the team's API key), and opens
 * Bull Board at /admin/queues; the dashboard at / is served (built on demand when missing).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ready, startLocal, type LocalInstance } from './support/local-instance';
import { freePort } from './support/services';

describe('local mode: queue dashboard and web dashboard', () => {
  let dataDir: string;
  let instance: LocalInstance | undefined;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'maskgen-local-admin-'));
  });

  after(async () => {
    if (instance && instance.child.exitCode === null) {
      instance.child.kill('SIGTERM');
      await instance.exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  test('Bull Board opens with the admin key local mode made; / serves the dashboard', async () => {
    const port = await freePort();
    const pgPort = await freePort();
    instance = startLocal(dataDir, port, pgPort);
    await ready(port, instance);
    const base = `http://127.0.0.1:${port}`;

    const file = path.join(dataDir, 'admin-api-key');
    const adminKey = (await readFile(file, 'utf8')).trim();
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.ok(instance.output().includes(adminKey), 'the new admin key is printed at first start');
    assert.match(instance.output(), /\/admin\/queues/);

    // Without a key: 401 with a Basic challenge, so a browser asks for it.
    const refused = await fetch(`${base}/admin/queues`);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Basic /);
    // The team's key is not the admin key.
    const teamKey = (await readFile(path.join(dataDir, 'api-key'), 'utf8')).trim();
    assert.equal((await fetch(`${base}/admin/queues`, { headers: { 'x-api-key': teamKey } })).status, 401);

    const basic = `Basic ${Buffer.from(`local:${adminKey}`).toString('base64')}`;
    const board = await fetch(`${base}/admin/queues`, { headers: { authorization: basic } });
    assert.equal(board.status, 200);
    assert.match(board.headers.get('content-type') ?? '', /text\/html/);
    const queues = await fetch(`${base}/admin/queues/api/queues`, { headers: { 'x-api-key': adminKey } });
    assert.equal(queues.status, 200);
    const names = ((await queues.json()) as { queues: { name: string }[] }).queues.map((q) => q.name);
    assert.deepEqual([...names].sort(), ['evaluate', 'generate', 'train']);

    const dashboard = await fetch(`${base}/`);
    assert.equal(dashboard.status, 200);
    assert.match(dashboard.headers.get('content-type') ?? '', /text\/html/);

    instance.child.kill('SIGTERM');
    assert.equal(await instance.exited, 0, instance.output());

    // A restart keeps the same key and says where it is, without printing it again.
    instance = startLocal(dataDir, port, pgPort);
    await ready(port, instance);
    assert.equal((await readFile(file, 'utf8')).trim(), adminKey);
    assert.ok(!instance.output().includes(adminKey));
    assert.ok(instance.output().includes(file));
    const again = await fetch(`${base}/admin/queues`, { headers: { authorization: basic } });
    assert.equal(again.status, 200);
  });
});
