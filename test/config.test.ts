import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { buildConfig, ConfigValidationError } from '@maskgen/config';
import { tsEntryArgs } from './support/ts-entry';

const ROOT = path.resolve(__dirname, '..');

function problemsOf(env: Record<string, string>): string[] {
  try {
    buildConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigValidationError);
    return error.problems.map((problem) => problem.variable);
  }
  assert.fail('expected a ConfigValidationError');
}

describe('config', () => {
  test('defaults build a complete local config', () => {
    const config = buildConfig({}, '/srv/maskgen');
    assert.equal(config.http.port, 3000);
    assert.equal(config.database.url, undefined);
    assert.equal(config.queue.redisUrl, undefined);
    assert.deepEqual(config.worker.queues, ['train', 'generate', 'evaluate']);
    assert.equal(config.worker.modelCacheSize, 2);
    assert.equal(config.limits.scheduleMinIntervalSeconds, 60);
    assert.equal(config.tensor.backend, 'auto');
    assert.equal(config.local.dataDir, '/srv/maskgen/.data');
  });

  test('values are parsed and typed', () => {
    const config = buildConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://u@db:5432/maskgen',
      REDIS_URL: 'redis://cache:6379/2',
      WORKER_QUEUES: 'generate, evaluate,generate',
      TENSOR_BACKEND: 'wasm',
      LOG_LEVEL: 'debug',
      WORKER_MODEL_CACHE_SIZE: '5',
      SCHEDULE_MIN_INTERVAL_SECONDS: '300',
    });
    assert.equal(config.http.port, 8080);
    assert.equal(config.database.url, 'postgres://u@db:5432/maskgen');
    assert.equal(config.queue.redisUrl, 'redis://cache:6379/2');
    assert.deepEqual(config.worker.queues, ['generate', 'evaluate']);
    assert.equal(config.tensor.backend, 'wasm');
    assert.equal(config.log.level, 'debug');
    assert.equal(config.worker.modelCacheSize, 5);
    assert.equal(config.limits.scheduleMinIntervalSeconds, 300);
  });

  test('empty optional URLs count as absent', () => {
    const config = buildConfig({ DATABASE_URL: '', REDIS_URL: ' ' });
    assert.equal(config.database.url, undefined);
    assert.equal(config.queue.redisUrl, undefined);
  });

  test('each bad value is reported under its variable name', () => {
    assert.deepEqual(problemsOf({ PORT: 'abc' }), ['PORT']);
    assert.deepEqual(problemsOf({ PORT: '70000' }), ['PORT']);
    assert.deepEqual(problemsOf({ DATABASE_URL: 'mysql://x' }), ['DATABASE_URL']);
    assert.deepEqual(problemsOf({ REDIS_URL: 'localhost:6379' }), ['REDIS_URL']);
    assert.deepEqual(problemsOf({ WORKER_QUEUES: 'train,render' }), ['WORKER_QUEUES']);
    assert.deepEqual(problemsOf({ TENSOR_BACKEND: 'webgpu' }), ['TENSOR_BACKEND']);
    assert.deepEqual(problemsOf({ WORKER_MODEL_CACHE_SIZE: '0' }), ['WORKER_MODEL_CACHE_SIZE']);
    assert.deepEqual(problemsOf({ SCHEDULE_MIN_INTERVAL_SECONDS: '0' }), ['SCHEDULE_MIN_INTERVAL_SECONDS']);
    assert.deepEqual(problemsOf({ SCHEDULE_MIN_INTERVAL_SECONDS: '1.5' }), ['SCHEDULE_MIN_INTERVAL_SECONDS']);
    assert.deepEqual(problemsOf({ LOG_LEVEL: 'loud', EMBEDDED_PG_PORT: '-1' }).sort(), [
      'EMBEDDED_PG_PORT',
      'LOG_LEVEL',
    ]);
  });

  for (const entry of ['apps/local/src/main.ts', 'apps/api/src/main.ts', 'apps/worker/src/main.ts']) {
    test(`${entry} exits 1 naming PORT when PORT=abc`, () => {
      const result = spawnSync(process.execPath, tsEntryArgs(entry), {
        cwd: ROOT,
        env: { PATH: process.env.PATH, PORT: 'abc' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, /PORT: must be an integer port/);
    });
  }

  test('the production entry points refuse to start without DATABASE_URL', () => {
    const result = spawnSync(process.execPath, tsEntryArgs('apps/worker/src/main.ts'), {
      cwd: ROOT,
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /DATABASE_URL: is required/);
  });
});
