/**
 * `--wait` survives a server that goes away for a while (issue 20 item 3: a Ctrl-C'd local server, restarted):
 * it reconnects with backoff, and when the server stays away longer than --reconnect it fails saying the work
 * continues on the server. The server here is a stand-in that answers GET /models/:id as the API does.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { cli } from './support/cli';

const ID = '7d4a3f0e-0000-4000-8000-000000000001';

function model(status: string, step: number, resumedFromStep?: number) {
  const stage = { status: 'running', step, totalSteps: 60, loss: 0.5, history: [], resumedFromStep };
  const pending = { status: 'pending', step: 0, totalSteps: 0, loss: null, history: [] };
  return {
    id: ID,
    name: 'm',
    datasetId: ID,
    status,
    profile: 'tiny',
    seed: 1,
    progress: {
      stage: 'stage1',
      step,
      totalSteps: 60,
      loss: 0.5,
      stages: { stage1: stage, prior: pending, critic: pending, classifier: pending },
    },
    metrics: {},
    checkpoints: [],
    error: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

/** Serves `answer()` for every request on `port` (0: any free port). */
async function serve(port: number, answer: () => unknown): Promise<Server> {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer()));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe('CLI --wait on a lost connection', () => {
  const servers: Server[] = [];
  after(async () => {
    for (const server of servers) if (server.listening) await stop(server);
  });

  test('reconnects to a server that comes back, then shows the resumed stage', async () => {
    let polls = 0;
    const first = await serve(0, () => model('training', 10 + polls++));
    servers.push(first);
    const { port } = first.address() as AddressInfo;
    const env = { MASKGEN_API_URL: `http://127.0.0.1:${port}`, MASKGEN_API_KEY: 'k' };
    const waiting = cli(['models', 'show', ID, '--wait', '--interval', '100', '--reconnect', '20'], env);
    while (polls < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    await stop(first);
    // Down for ~2 s, as a local server restarting; it comes back resumed from step 12.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    let later = 0;
    servers.push(await serve(port, () => (later++ < 2 ? model('training', 30, 12) : model('ready', 60, 12))));
    const result = await waiting;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /lost the connection .*reconnecting for up to 20 s/);
    assert.match(result.stderr, /reconnected after \d+ s/);
    assert.match(result.stderr, /steps \(resumed from step 12\)/);
    assert.match(result.stdout, /60\/60 \(resumed from step 12\)/);
  });

  test('gives up after --reconnect seconds and says training continues on the server', async () => {
    const server = await serve(0, () => model('training', 5));
    servers.push(server);
    const { port } = server.address() as AddressInfo;
    await stop(server);
    const started = Date.now();
    const result = await cli(['models', 'show', ID, '--wait', '--interval', '100', '--reconnect', '2'], {
      MASKGEN_API_URL: `http://127.0.0.1:${port}`,
      MASKGEN_API_KEY: 'k',
    });
    const tookMs = Date.now() - started;
    assert.equal(result.code, 1);
    assert.match(result.stderr, /gave up reconnecting after 2 s\. training continues on the server/);
    assert.match(result.stderr, new RegExp(`maskgen models show ${ID}`));
    assert.ok(tookMs >= 2000 && tookMs < 10_000, `gave up after ${tookMs} ms`);
  });
});
