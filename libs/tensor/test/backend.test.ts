import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { TensorBackendUnavailableError, initTensorBackend } from '../src';

function installed(pkg: string): boolean {
  try {
    createRequire(__filename).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

function recordingLogger(): {
  logs: Array<{ message: string; context?: Record<string, unknown> }>;
  log: typeof log;
} {
  const logs: Array<{ message: string; context?: Record<string, unknown> }> = [];
  const log = (message: string, context?: Record<string, unknown>): void => {
    logs.push({ message, context });
  };
  return { logs, log };
}

// Tests share one tfjs engine, so they run in order and each states the backend it needs.
describe('initTensorBackend', { concurrency: false }, () => {
  test('wasm: SIMD, one thread in Node, logged once, idempotent', async () => {
    const logger = recordingLogger();
    const first = await initTensorBackend('wasm', logger);
    assert.equal(first.backend, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.equal(first.threads, 1);
    assert.equal(typeof first.simd, 'boolean');
    const again = await initTensorBackend('wasm', logger);
    assert.equal(again, first);
    assert.equal(logger.logs.length, 1);
    assert.equal(logger.logs[0].context?.backend, 'wasm');
  });

  test('gradients are registered', async () => {
    await initTensorBackend('wasm');
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, -2]));
    assert.deepEqual(Array.from(g.dataSync()), [2, -4]);
  });

  test('switching to cpu and back', async () => {
    const cpu = await initTensorBackend('cpu');
    assert.deepEqual(cpu, { backend: 'cpu', tfBackendName: 'cpu', threads: 1, simd: null });
    assert.equal(tf.getBackend(), 'cpu');
    const wasm = await initTensorBackend('wasm');
    assert.equal(wasm.backend, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
  });

  test(
    'a forced native backend that is not installed throws a clear error',
    { skip: installed('@tensorflow/tfjs-node') },
    async () => {
      await assert.rejects(initTensorBackend('node'), (error: unknown) => {
        assert.ok(error instanceof TensorBackendUnavailableError);
        assert.match(error.message, /'node' is unavailable: cannot load @tensorflow\/tfjs-node/);
        return true;
      });
      // The failure leaves the previous backend in place.
      assert.equal(tf.getBackend(), 'wasm');
    },
  );

  test(
    'auto falls back past missing native packages to wasm and says why',
    { skip: installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu') },
    async () => {
      const logger = recordingLogger();
      const info = await initTensorBackend('auto', logger);
      assert.equal(info.backend, 'wasm');
      const skipped = logger.logs[0].context?.skipped as string[];
      assert.equal(skipped.length, 2);
      assert.match(skipped[0], /^node-gpu: /);
      assert.match(skipped[1], /^node: /);
    },
  );
});
