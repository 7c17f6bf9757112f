import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { startApiServer, type ApiServer } from './support/api-server';
import { cbfRunBody, waitFor } from './support/services';

const GUNPOINT = path.resolve(__dirname, '../libs/data/datasets/GunPoint');

interface RunBody {
  id: string;
  status: string;
  samplesStored: number;
  shards: { total: number; running: number };
}

describe('HTTP API (datasets, runs, auth, isolation, limits) with an in-process worker', () => {
  let server: ApiServer;
  let app: INestApplication;
  let adminKey: string;
  let base: string;
  let keyA: string;
  let keyB: string;

  async function call(method: string, url: string, key: string | undefined, body?: unknown) {
    const response = await fetch(`${base}${url}`, {
      method,
      headers: {
        ...(key ? { 'x-api-key': key } : {}),
        ...(body !== undefined && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return {
      status: response.status,
      json: json as Record<string, unknown>,
      text,
      headers: response.headers,
    };
  }

  before(async () => {
    server = await startApiServer('api', {
      TEAM_MAX_ACTIVE_RUNS: '3',
      TEAM_MAX_SAMPLES_PER_RUN: '500000',
      UPLOAD_MAX_BYTES: String(2 * 1024 * 1024),
      // The schedule test fires every second.
      SCHEDULE_MIN_INTERVAL_SECONDS: '1',
    });
    ({ app, base, adminKey, key: keyA } = server);
    keyB = await server.newTeamKey('team-b');
  });

  after(async () => {
    await server?.close();
  });

  test('requests without a valid key are refused with a JSON 401; admin routes need the admin key', async () => {
    assert.equal((await call('GET', '/datasets', undefined)).status, 401);
    const wrong = await call('GET', '/datasets', 'mgk_nope');
    assert.equal(wrong.status, 401);
    assert.match(String(wrong.json.message), /Unknown or revoked API key/);
    assert.equal((await call('GET', '/admin/teams', keyA)).status, 401);
    assert.equal((await call('GET', '/health/live', undefined)).status, 200);
    assert.equal((await call('GET', '/admin/teams', adminKey)).status, 200);
  });

  test('datasets: synthetic, builtin and uploaded; bad input is a 4xx with a message; other teams see 404', async () => {
    const synthetic = await call('POST', '/datasets/synthetic', keyA, {
      name: 'cbf-small',
      generator: 'cbf',
      trainPerClass: 5,
      testPerClass: 4,
      seed: 1,
    });
    assert.equal(synthetic.status, 201, synthetic.text);
    assert.equal(synthetic.json.trainCount, 15);
    assert.deepEqual(synthetic.json.classNames, ['cylinder', 'bell', 'funnel']);
    const duplicate = await call('POST', '/datasets/synthetic', keyA, {
      name: 'cbf-small',
      generator: 'cbf',
      trainPerClass: 4,
      testPerClass: 4,
      seed: 2,
    });
    assert.equal(duplicate.status, 409);
    const invalid = await call('POST', '/datasets/synthetic', keyA, {
      name: '',
      generator: 'x',
      trainPerClass: -1,
    });
    assert.equal(invalid.status, 400);
    assert.ok(Array.isArray(invalid.json.message) && invalid.json.message.length >= 3);

    const form = new FormData();
    form.append('name', 'gunpoint-upload');
    form.append(
      'train',
      new Blob([await readFile(path.join(GUNPOINT, 'GunPoint_TRAIN.ts.txt'))]),
      'GunPoint_TRAIN.ts',
    );
    form.append(
      'test',
      new Blob([await readFile(path.join(GUNPOINT, 'GunPoint_TEST.ts.txt'))]),
      'GunPoint_TEST.ts',
    );
    const uploaded = await call('POST', '/datasets/upload', keyA, form);
    assert.equal(uploaded.status, 201, uploaded.text);
    assert.equal(uploaded.json.seriesLength, 150);
    assert.equal(uploaded.json.trainCount, 50);
    assert.equal(uploaded.json.testCount, 150);

    const broken = new FormData();
    broken.append('name', 'broken');
    broken.append('train', new Blob(['1\t0.5\t0.7\n2\tabc\t0.1\n']), 'x_TRAIN.tsv');
    broken.append('test', new Blob(['1\t0.5\t0.7\n']), 'x_TEST.tsv');
    const rejected = await call('POST', '/datasets/upload', keyA, broken);
    assert.equal(rejected.status, 400);
    assert.match(String(rejected.json.message), /x_TRAIN\.tsv line 2/);
    const oneFile = new FormData();
    oneFile.append('name', 'half');
    oneFile.append('train', new Blob(['1\t0.5\n']), 'x_TRAIN.tsv');
    assert.equal((await call('POST', '/datasets/upload', keyA, oneFile)).status, 400);
    const huge = new FormData();
    huge.append('name', 'huge');
    huge.append('train', new Blob([Buffer.alloc(3 * 1024 * 1024, 49)]), 'h_TRAIN.tsv');
    huge.append('test', new Blob(['1\t1\n']), 'h_TEST.tsv');
    assert.equal((await call('POST', '/datasets/upload', keyA, huge)).status, 413);

    const builtin = await call('POST', '/datasets/builtin', keyA, { dataset: 'ItalyPowerDemand' });
    assert.equal(builtin.status, 201, builtin.text);
    const series = await call('GET', `/datasets/${String(builtin.json.id)}/series?split=test&limit=2`, keyA);
    assert.equal((series.json.items as unknown[]).length, 2);
    assert.equal(series.json.total, 1029);

    const id = String(synthetic.json.id);
    assert.equal((await call('GET', `/datasets/${id}`, keyB)).status, 404);
    assert.equal((await call('DELETE', `/datasets/${id}`, keyB)).status, 404);
    assert.equal((await call('GET', '/datasets/not-a-uuid', keyA)).status, 400);
    const listedByB = await call('GET', '/datasets', keyB);
    assert.equal(listedByB.json.total, 0);
    assert.equal((await call('DELETE', `/datasets/${id}`, keyA)).status, 204);
    assert.equal((await call('GET', `/datasets/${id}`, keyA)).status, 404);
  });

  test('a run of 1,000 samples in 10 shards stores exactly 1,000 with metrics, exported as JSON, CSV and .npy', async () => {
    const created = await call(
      'POST',
      '/runs',
      keyA,
      cbfRunBody(64, { numSamples: 1000, shardSize: 100, seed: 42 }),
    );
    assert.equal(created.status, 201, created.text);
    const id = String(created.json.id);
    const done = await waitFor(
      'the run to succeed',
      async () => {
        const run = (await call('GET', `/runs/${id}`, keyA)).json as unknown as RunBody;
        return run.status === 'succeeded' || run.status === 'failed' ? run : undefined;
      },
      60_000,
      200,
    );
    assert.equal(done.status, 'succeeded');
    assert.equal(done.samplesStored, 1000);
    assert.equal(done.shards.total, 10);

    const metrics = await call('GET', `/runs/${id}/metrics`, keyA);
    const byName = new Map(
      (metrics.json.items as { name: string; value: number }[]).map((m) => [m.name, m.value]),
    );
    assert.equal(byName.get('samples'), 1000);
    assert.ok(Math.abs(byName.get('value_std') ?? 0) > 0);

    const page = await call('GET', `/runs/${id}/samples?offset=998&limit=10`, keyA);
    const items = page.json.items as { index: number; values: number[] }[];
    assert.deepEqual(
      items.map((item) => item.index),
      [998, 999],
    );
    assert.equal(items[0]?.values.length, 64);

    const csv = await call('GET', `/runs/${id}/samples?format=csv`, keyA);
    const lines = csv.text.trim().split('\n');
    assert.equal(lines.length, 1001);
    assert.equal(lines[0]?.split(',').length, 66);

    const npy = await fetch(`${base}/runs/${id}/samples?format=npy&offset=10&limit=5`, {
      headers: { 'x-api-key': keyA },
    });
    const bytes = Buffer.from(await npy.arrayBuffer());
    assert.equal(bytes.subarray(0, 6).toString('latin1'), '\x93NUMPY');
    const headerLength = bytes.readUInt16LE(8);
    assert.equal((10 + headerLength) % 64, 0);
    assert.match(bytes.subarray(10, 10 + headerLength).toString('latin1'), /'shape': \(5, 64\)/);
    assert.equal(bytes.length - 10 - headerLength, 5 * 64 * 4);
    const firstValue = bytes.readFloatLE(10 + headerLength);
    const json10 = await call('GET', `/runs/${id}/samples?offset=10&limit=1`, keyA);
    assert.equal(firstValue, (json10.json.items as { values: number[] }[])[0]?.values[0]);

    // Another team cannot see, export or cancel it.
    assert.equal((await call('GET', `/runs/${id}`, keyB)).status, 404);
    assert.equal((await call('GET', `/runs/${id}/samples?format=csv`, keyB)).status, 404);
    assert.equal((await call('POST', `/runs/${id}/cancel`, keyB)).status, 404);
    assert.equal((await call('POST', `/runs/${id}/cancel`, keyA)).status, 409);
  });

  test('limits: too many samples is a 400, too many active runs a 429; cancel stops a run and keeps what it stored', async () => {
    const tooBig = await call('POST', '/runs', keyB, cbfRunBody(64, { numSamples: 500_001 }));
    assert.equal(tooBig.status, 400);
    assert.match(String(tooBig.json.message), /TEAM_MAX_SAMPLES_PER_RUN/);

    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await call('POST', '/runs', keyB, {
        sampler: { kind: 'synthetic', generator: 'synthetic-control', length: 256 },
        numSamples: 200_000,
        shardSize: 2000,
        seed: i,
      });
      assert.equal(run.status, 201, run.text);
      ids.push(String(run.json.id));
    }
    const fourth = await call('POST', '/runs', keyB, cbfRunBody(64, { numSamples: 10 }));
    assert.equal(fourth.status, 429);
    assert.match(String(fourth.json.message), /limit is 3/);

    for (const id of ids) {
      const cancelled = await call('POST', `/runs/${id}/cancel`, keyB);
      assert.equal(cancelled.status, 200, cancelled.text);
      assert.equal(cancelled.json.status, 'cancelled');
    }
    const settled = await waitFor(
      'cancelled shards to stop',
      async () => {
        const run = (await call('GET', `/runs/${ids[0]}`, keyB)).json as unknown as RunBody;
        return run.shards.running === 0 ? run : undefined;
      },
      30_000,
      250,
    );
    assert.equal(settled.status, 'cancelled');
    assert.ok(settled.samplesStored < 200_000);
    const later = (await call('GET', `/runs/${ids[0]}`, keyB)).json as unknown as RunBody;
    assert.equal(later.status, 'cancelled');
    assert.equal(later.samplesStored, settled.samplesStored);
    // With the runs cancelled the team may start new ones.
    assert.equal((await call('POST', '/runs', keyB, cbfRunBody(64, { numSamples: 10 }))).status, 201);
  });

  test('retry re-enqueues the shards of a failed run; stored samples are kept, none duplicated', async () => {
    const created = await call(
      'POST',
      '/runs',
      keyA,
      cbfRunBody(32, { numSamples: 300, shardSize: 100, seed: 5 }),
    );
    const id = String(created.json.id);
    await waitFor('the run to succeed', async () =>
      (await call('GET', `/runs/${id}`, keyA)).json.status === 'succeeded' ? true : undefined,
    );
    assert.equal((await call('POST', `/runs/${id}/retry`, keyA)).status, 409);
    // Simulate a run whose shard 1 failed (a completed shard never goes back, so straight in SQL) and stored nothing.
    await app
      .get(DataSource)
      .query(
        `UPDATE shards SET status = 'failed', samples_stored = 0 WHERE run_id = $1 AND shard_index = 1`,
        [id],
      );
    await app.get(DataSource).query('DELETE FROM samples WHERE run_id = $1 AND shard_index = 1', [id]);
    await app
      .get(DataSource)
      .query(`UPDATE runs SET status = 'failed', error = 'shard 1: worker lost' WHERE id = $1`, [id]);
    const before = new Map(
      (
        (await call('GET', `/runs/${id}/samples?limit=1000`, keyA)).json.items as {
          index: number;
          values: number[];
        }[]
      ).map((item) => [item.index, item.values[0]]),
    );
    assert.equal(before.size, 200);

    // Two retries at once: exactly one reopens and enqueues the run, the other is told it is no longer failed.
    const both = await Promise.all([
      call('POST', `/runs/${id}/retry`, keyA),
      call('POST', `/runs/${id}/retry`, keyA),
    ]);
    assert.deepEqual(both.map((r) => r.status).sort(), [200, 409], both.map((r) => r.text).join('\n'));
    const done = await waitFor('the retried run to succeed', async () => {
      const run = (await call('GET', `/runs/${id}`, keyA)).json as unknown as RunBody;
      return run.status === 'succeeded' || run.status === 'failed' ? run : undefined;
    });
    assert.equal(done.status, 'succeeded');
    assert.equal(done.samplesStored, 300);
    const after = (await call('GET', `/runs/${id}/samples?limit=1000`, keyA)).json.items as {
      index: number;
      values: number[];
    }[];
    assert.deepEqual(
      after.map((item) => item.index),
      Array.from({ length: 300 }, (_, i) => i),
    );
    for (const item of after)
      if (before.has(item.index)) assert.equal(item.values[0], before.get(item.index));
  });

  test('schedules: creating twice leaves one, it starts runs, deleting stops them; bad cron or zone is a 400', async () => {
    const body = {
      cron: '* * * * * *',
      timezone: 'Europe/Oslo',
      run: cbfRunBody(16, { numSamples: 5, shardSize: 5, seed: 3 }),
    };
    assert.equal((await call('PUT', '/schedules/every-second', keyA, body)).status, 200);
    assert.equal((await call('PUT', '/schedules/every-second', keyA, body)).status, 200);
    const listed = await call('GET', '/schedules', keyA);
    const items = listed.json.items as { name: string; timezone: string; cron: string }[];
    assert.deepEqual(
      items.map((item) => [item.name, item.cron, item.timezone]),
      [['every-second', '* * * * * *', 'Europe/Oslo']],
    );
    assert.deepEqual((await call('GET', '/schedules', keyB)).json.items, []);
    assert.equal((await call('DELETE', '/schedules/every-second', keyB)).status, 404);

    const scheduledRuns = async () => {
      const listing = await call('GET', '/runs?limit=500', keyA);
      assert.equal(listing.status, 200, listing.text);
      return (listing.json.items as { params: { schedule?: string } }[]).filter(
        (run) => run.params.schedule === 'every-second',
      ).length;
    };
    await waitFor(
      'a scheduled run',
      async () => ((await scheduledRuns()) > 0 ? true : undefined),
      20_000,
      250,
    );

    assert.equal((await call('DELETE', '/schedules/every-second', keyA)).status, 204);
    assert.equal((await call('DELETE', '/schedules/every-second', keyA)).status, 404);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const afterDelete = await scheduledRuns();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(await scheduledRuns(), afterDelete);

    assert.equal((await call('PUT', '/schedules/bad', keyA, { ...body, cron: 'every day' })).status, 400);
    assert.equal(
      (await call('PUT', '/schedules/bad', keyA, { ...body, timezone: 'Mars/Olympus' })).status,
      400,
    );
    assert.equal((await call('PUT', '/schedules/Bad_Name', keyA, body)).status, 400);
  });

  test('fuzzed uploads never cause a 5xx', async () => {
    const real = await readFile(path.join(GUNPOINT, 'GunPoint_TRAIN.ts.txt'));
    let state = 12345;
    const random = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    for (let i = 0; i < 60; i++) {
      let bytes: Buffer;
      if (i % 3 === 0)
        bytes = Buffer.from(
          Array.from({ length: 1 + Math.floor(random() * 2000) }, () => Math.floor(random() * 256)),
        );
      else if (i % 3 === 1) bytes = real.subarray(0, Math.floor(random() * real.length));
      else {
        bytes = Buffer.from(real);
        for (let j = 0; j < 20; j++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      const form = new FormData();
      form.append('name', `fuzz-${i}`);
      form.append('train', new Blob([bytes]), i % 2 ? 'f_TRAIN.ts' : 'f_TRAIN.tsv');
      form.append(
        'test',
        new Blob([bytes.subarray(0, Math.floor(bytes.length / 2))]),
        i % 2 ? 'f_TEST.ts' : 'f_TEST.tsv',
      );
      if (i % 5 === 0) form.append('missing', i % 10 === 0 ? 'interpolate' : 'bogus');
      const response = await call('POST', '/datasets/upload', keyB, form);
      assert.ok(response.status < 500, `case ${i}: ${response.status} ${response.text}`);
      assert.ok(
        response.status === 201 || typeof response.json.message !== 'undefined',
        `case ${i}: no message`,
      );
    }
  });

  test('the queue dashboard needs the admin key', async () => {
    assert.equal((await call('GET', '/admin/queues', undefined)).status, 401);
    assert.equal((await call('GET', '/admin/queues', keyA)).status, 401);
    const basic = `Basic ${Buffer.from(`admin:${adminKey}`).toString('base64')}`;
    const page = await fetch(`${base}/admin/queues`, { headers: { authorization: basic } });
    assert.equal(page.status, 200);
    const queues = await fetch(`${base}/admin/queues/api/queues`, { headers: { 'x-api-key': adminKey } });
    assert.equal(queues.status, 200);
    const names = ((await queues.json()) as { queues: { name: string }[] }).queues
      .map((queue) => queue.name)
      .sort();
    assert.deepEqual(names, ['evaluate', 'generate', 'train']);
  });

  test('Prometheus metrics expose queue depth per queue and state', async () => {
    const scrape = await call('GET', '/metrics', undefined);
    assert.equal(scrape.status, 200);
    assert.match(scrape.text, /maskgen_queue_jobs\{queue="generate",state="completed"\} \d+/);
  });
});
