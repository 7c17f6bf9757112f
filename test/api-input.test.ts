/**
 * Bad input that used to answer 500 (issue 21): numbers past their column types, a schedule without its run,
 * deeply nested JSON, runs the worker would refuse, and schedules that fire too often. Each must be a 400
 * with a message naming the limit, while values at the limit are still accepted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_PARSE_LIMITS, generateSyntheticDataset, syntheticLimitViolation } from '@maskgen/data';
import { startApiServer, type ApiServer } from './support/api-server';
import { apiCall, type CallOptions } from './support/http';

interface Answer {
  status: number;
  text: string;
  message: string;
}

describe('API input bounds', () => {
  let server: ApiServer;
  let runId: string;

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    options?: CallOptions,
  ): Promise<Answer> => {
    const { status, json, text } = await apiCall(server.base, server.key, method, path, body, options);
    const message = Array.isArray(json.message)
      ? json.message.join('; ')
      : typeof json.message === 'string'
        ? json.message
        : text;
    return { status, text, message };
  };

  const expect400 = async (
    method: string,
    path: string,
    pattern: RegExp,
    body?: unknown,
    options?: CallOptions,
  ) => {
    const answer = await call(method, path, body, options);
    assert.equal(answer.status, 400, `${method} ${path}: ${answer.status} ${answer.text.slice(0, 300)}`);
    assert.match(answer.message, pattern, `${method} ${path}`);
  };

  const syntheticRun = (length: number, numSamples: number, shardSize: number) => ({
    sampler: { kind: 'synthetic', generator: 'cbf', length },
    numSamples,
    shardSize,
    seed: 1,
  });

  before(async () => {
    // SCHEDULE_MIN_INTERVAL_SECONDS keeps its default (60).
    server = await startApiServer('api-input');
    const created = await call('POST', '/runs', syntheticRun(16, 20, 10));
    assert.equal(created.status, 201, created.text);
    runId = (JSON.parse(created.text) as { id: string }).id;
  });

  after(async () => {
    await server?.close();
  });

  test('page offsets past what an int8 OFFSET and a JS number hold are a 400; the largest is accepted', async () => {
    for (const offset of ['1e20', '99999999999999999999', '9007199254740992']) {
      for (const list of ['/runs', '/datasets', '/models', '/evaluations']) {
        await expect400(
          'GET',
          `${list}?offset=${offset}`,
          /offset must not be greater than 9007199254740991/,
        );
      }
    }
    const last = await call('GET', '/runs?offset=9007199254740991');
    assert.equal(last.status, 200, last.text);
    assert.deepEqual((JSON.parse(last.text) as { items: unknown[] }).items, []);
  });

  test('sample offsets and indices past int4 are a 400; the largest int4 is accepted', async () => {
    for (const format of ['json', 'csv', 'npy']) {
      for (const offset of ['1e20', '99999999999', '2147483648']) {
        await expect400(
          'GET',
          `/runs/${runId}/samples?format=${format}&offset=${offset}`,
          /offset must not be greater than 2147483647/,
        );
      }
      const last = await call('GET', `/runs/${runId}/samples?format=${format}&offset=2147483647`);
      assert.equal(last.status, 200, `${format}: ${last.text.slice(0, 200)}`);
    }
    for (const index of ['99999999999999999999', '2147483648', '1e10', '-1', '1.5', 'x']) {
      await expect400(
        'GET',
        `/runs/${runId}/samples/${index}/critic`,
        /index must be an integer in 0\.\.2147483647/,
      );
    }
    // A synthetic run stores no critic scores: the largest index is read, and found missing.
    const largest = await call('GET', `/runs/${runId}/samples/2147483647/critic`);
    assert.equal(largest.status, 404, largest.text);
  });

  test('PUT /schedules without a run is a 400, not a TypeError', async () => {
    await expect400('PUT', '/schedules/x', /run should not be null or undefined/, {
      cron: '0 2 * * *',
      timezone: 'UTC',
    });
    await expect400('PUT', '/schedules/x', /run/, { cron: '0 2 * * *', timezone: 'UTC', run: 'nightly' });
    // An array passed ValidateNested element by element, then failed as a TypeError (found by api-fuzz).
    await expect400('PUT', '/schedules/x', /run must be an object/, {
      cron: '0 2 * * *',
      timezone: 'UTC',
      run: [],
    });
  });

  test('a schedule name PostgreSQL cannot store (NUL) is a 400 on every schedule route', async () => {
    for (const method of ['GET', 'DELETE']) {
      const path = method === 'GET' ? '/schedules/%00/history' : '/schedules/%00';
      await expect400(method, path, /name must be 1-63 lower-case letters, digits or -/);
    }
  });

  test('JSON nested deeper than 32 levels is a 400; the API keeps answering', async () => {
    const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const deepSampler = { raw: `{"sampler":${deep(5000)}}` };
    await expect400('POST', '/runs', /JSON nested deeper than 32 levels/, undefined, deepSampler);
    await expect400('POST', '/runs', /JSON nested deeper than 32/, undefined, { raw: deep(5000) });
    await expect400('PUT', '/schedules/deep', /JSON nested deeper than 32/, undefined, { raw: deep(40_000) });
    // With an Idempotency-Key (the client and CLI always send one) the body is hashed by a route interceptor,
    // which must never see it: it used to recurse through all 5,000 levels and answer 500.
    for (const path of ['/runs', '/models', '/evaluations']) {
      await expect400('POST', path, /JSON nested deeper than 32/, undefined, {
        ...deepSampler,
        headers: { 'idempotency-key': `deep-${path.slice(1)}` },
      });
    }
    // 32 levels pass the depth check (and fail ordinary validation).
    await expect400('POST', '/runs', /sampler must be an object/, undefined, {
      raw: `{"sampler":${deep(31)}}`,
    });
    assert.equal((await call('GET', '/runs?limit=1')).status, 200);
  });

  test('a run whose shard the worker would refuse (shardSize x length > 20,000,000) is a 400 naming the limit', async () => {
    const limit = DEFAULT_PARSE_LIMITS.maxTotalValues;
    // The worker's generator refuses exactly what the API refuses: the check is the same function.
    assert.ok(syntheticLimitViolation(5000, 4096));
    assert.throws(
      () => generateSyntheticDataset('cbf', { seed: 1, length: 4096, totalCount: 5000 }),
      RangeError,
    );
    assert.equal(syntheticLimitViolation(4882, 4096), undefined);

    const pattern = new RegExp(`at most ${limit}.*shardSize of at most 4882`);
    await expect400('POST', '/runs', pattern, syntheticRun(4096, 10_000, 5000));
    await expect400('POST', '/runs', pattern, syntheticRun(4096, 100_000, 100_000));
    await expect400('PUT', '/schedules/too-big', pattern, {
      cron: '0 2 * * *',
      timezone: 'UTC',
      run: syntheticRun(4096, 10_000, 5000),
    });
    // The largest shard is what counts: a run smaller than one shard is within the limit.
    const small = await call('POST', '/runs', syntheticRun(4096, 20, 100_000));
    assert.equal(small.status, 201, small.text);
  });

  test('a schedule firing more often than SCHEDULE_MIN_INTERVAL_SECONDS (60) is a 400 naming the minimum', async () => {
    const put = (cron: string) =>
      call('PUT', '/schedules/interval', { cron, timezone: 'Europe/Oslo', run: syntheticRun(16, 10, 10) });
    for (const cron of ['* * * * * *', '*/30 * * * * *', '0,10 0 3 * * *', '0,59 * * * * *']) {
      const answer = await put(cron);
      assert.equal(answer.status, 400, `${cron}: ${answer.text}`);
      assert.match(answer.message, /at most once every 60 s \(SCHEDULE_MIN_INTERVAL_SECONDS\)/, cron);
    }
    for (const cron of ['* * * * *', '0 * * * * *', '0 2 * * *', '0 0 29 2 *']) {
      const answer = await put(cron);
      assert.equal(answer.status, 200, `${cron}: ${answer.text}`);
    }
    assert.equal((await call('DELETE', '/schedules/interval')).status, 204);
    await expect400('PUT', '/schedules/interval', /Invalid cron pattern/, {
      cron: '0 0 30 2 *',
      timezone: 'UTC',
      run: syntheticRun(16, 10, 10),
    });
  });
});
