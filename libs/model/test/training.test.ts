import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { SeededRng, initTensorBackend } from '@maskgen/tensor';
import {
  AdamW,
  INFERENCE,
  VariableStore,
  applyStatUpdates,
  batchNorm,
  cosineLearningRate,
  createBatchNorm,
  createDense,
  createLayerNorm,
  dense,
  essCosinePeriod,
  gatherRows,
  layerNorm,
  shuffledBatches,
  stopGradient,
  trainLoop,
  type StatUpdate,
} from '@maskgen/model';

before(async () => {
  await initTensorBackend('wasm');
});

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('AdamW', () => {
  test('matches a float64 reference of decoupled weight decay over several steps', () => {
    const start = [0.5, -1.5, 2];
    const store = new VariableStore();
    const w = store.param('w', tf.tensor1d(start));
    const opt = new AdamW(store.params(), { weightDecay: 0.1 });
    // loss = Σ (w − 1)², grad = 2(w − 1)
    const ref = start.slice();
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    const lrs = [0.1, 0.05, 0.2];
    lrs.forEach((lr, i) => {
      const t = i + 1;
      const grads = tf.tidy(() => tf.grads((x: tf.Tensor) => tf.sum(tf.square(tf.sub(x, 1))))([w]));
      opt.apply({ w: grads[0] }, lr);
      tf.dispose(grads);
      for (let j = 0; j < 3; j++) {
        const g = 2 * (ref[j] - 1);
        m[j] = 0.9 * m[j] + 0.1 * g;
        v[j] = 0.999 * v[j] + 0.001 * g * g;
        const mHat = m[j] / (1 - 0.9 ** t);
        const vHat = v[j] / (1 - 0.999 ** t);
        ref[j] = ref[j] * (1 - lr * 0.1) - (lr * mHat) / (Math.sqrt(vHat) + 1e-8);
      }
    });
    close(w.dataSync(), ref, 1e-5, 'w');
    assert.equal(opt.step, 3);
    assert.equal(Object.keys(opt.stateVariables()).length, 3);
    opt.dispose();
    store.dispose();
  });

  test('decay acts without a gradient signal and never touches parameters that got no gradient', () => {
    const store = new VariableStore();
    const a = store.param('a', tf.tensor1d([2]));
    const b = store.param('b', tf.tensor1d([3]));
    const opt = new AdamW(store.params(), { weightDecay: 0.5 });
    const zero = tf.zeros([1]);
    opt.apply({ a: zero }, 0.1);
    zero.dispose();
    close(a.dataSync(), [2 * (1 - 0.05)], 1e-6, 'a');
    close(b.dataSync(), [3], 0, 'b');
    opt.dispose();
    store.dispose();
  });
});

describe('cosine schedule', () => {
  test('starts at the base rate, halves at mid-period, ends at the minimum', () => {
    assert.equal(cosineLearningRate(0, 1e-3, 100), 1e-3);
    assert.ok(Math.abs(cosineLearningRate(50, 1e-3, 100) - 5e-4) < 1e-12);
    assert.ok(Math.abs(cosineLearningRate(100, 1e-3, 100)) < 1e-15);
    assert.ok(Math.abs(cosineLearningRate(150, 1e-3, 100, 1e-4) - 1e-4) < 1e-15);
    assert.throws(() => cosineLearningRate(0, 1e-3, 0), RangeError);
  });

  test('the ESS period has one extra step per epoch, so the last step stays above zero', () => {
    const period = essCosinePeriod(2000, 50, 128);
    assert.equal(period, 4000);
    assert.ok(cosineLearningRate(2000 - 1, 1e-3, period) > 4e-4);
  });
});

describe('shuffledBatches', () => {
  test('each epoch is a permutation, batches are sized, and the stream is seeded', () => {
    const take = (seed: string, n: number): number[][] => {
      const it = shuffledBatches(10, 4, new SeededRng(seed));
      return Array.from({ length: n }, () => it.next().value as number[]);
    };
    const a = take('s', 6);
    assert.deepEqual(
      a.map((b) => b.length),
      [4, 4, 2, 4, 4, 2],
    );
    for (const epoch of [a.slice(0, 3), a.slice(3)]) {
      assert.deepEqual(
        epoch.flat().sort((x, y) => x - y),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
    }
    assert.notDeepEqual(a.slice(0, 3), a.slice(3), 'epochs reshuffle');
    assert.deepEqual(take('s', 6), a);
    assert.notDeepEqual(take('t', 6), a);
    assert.throws(() => shuffledBatches(0, 4, new SeededRng(1)).next(), RangeError);
  });

  test('a stream started at step k continues the stream from step 0 exactly', () => {
    const from0 = shuffledBatches(10, 4, new SeededRng('s'));
    const all = Array.from({ length: 9 }, () => from0.next().value as number[]);
    for (const k of [0, 1, 3, 4, 7]) {
      const fromK = shuffledBatches(10, 4, new SeededRng('s'), k);
      assert.deepEqual(
        Array.from({ length: 9 - k }, () => fromK.next().value as number[]),
        all.slice(k),
        `start ${k}`,
      );
    }
    assert.throws(() => shuffledBatches(10, 4, new SeededRng(1), -1).next(), RangeError);
  });

  test('gatherRows copies the requested rows', () => {
    const values = Float32Array.from({ length: 12 }, (_, i) => i);
    const t = gatherRows(values, [1, 3], [2, 0]);
    assert.deepEqual(t.shape, [2, 1, 3]);
    assert.deepEqual(Array.from(t.dataSync()), [6, 7, 8, 0, 1, 2]);
    t.dispose();
    assert.throws(() => gatherRows(values, [3], [4]), RangeError);
  });
});

/** Keeps the thread busy for `ms` (no await), as a real training step does; the loop's clocks see the time pass. */
function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('trainLoop', () => {
  test('reports progress, yields between steps and stops cleanly on abort', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    let timersRan = 0;
    const timer = setInterval(() => timersRan++, 0);
    const result = await trainLoop({
      totalSteps: 100,
      learningRate: (s) => cosineLearningRate(s, 1, 100),
      step: async (s) => {
        // A blocking step: timers only run if the loop yields between steps.
        blockFor(2);
        if (s === 9) controller.abort();
        return Promise.resolve({ loss: 1 / (s + 1) });
      },
      onProgress: (p) => {
        seen.push(p.step);
      },
      progressEvery: 5,
      signal: controller.signal,
    });
    clearInterval(timer);
    assert.equal(result.stopReason, 'aborted');
    assert.equal(result.stepsDone, 10);
    assert.deepEqual(seen, [5, 10]);
    assert.equal(result.lastMetrics?.loss, 0.1);
    assert.ok(timersRan >= 3, `timers ran ${timersRan} times`);
  });

  test('checkpoints every N steps or S ms, on abort, never after the last step, and resumes at startStep', async () => {
    const saves: number[] = [];
    const controller = new AbortController();
    const ran: number[] = [];
    const aborted = await trainLoop({
      totalSteps: 20,
      learningRate: () => 1,
      step: (s) => {
        ran.push(s);
        if (s === 11) controller.abort();
        return {};
      },
      signal: controller.signal,
      checkpoint: { everySteps: 5, everyMs: 3_600_000, save: (n) => void saves.push(n) },
    });
    assert.deepEqual([aborted.stopReason, aborted.stepsDone], ['aborted', 12]);
    assert.deepEqual(saves, [5, 10, 12]);
    ran.length = 0;
    saves.length = 0;
    const resumed = await trainLoop({
      totalSteps: 20,
      learningRate: () => 1,
      step: (s) => {
        ran.push(s);
        return {};
      },
      startStep: 12,
      checkpoint: { everySteps: 5, everyMs: 3_600_000, save: (n) => void saves.push(n) },
    });
    assert.deepEqual([resumed.stopReason, resumed.stepsDone], ['completed', 20]);
    assert.deepEqual(ran, [12, 13, 14, 15, 16, 17, 18, 19]);
    assert.deepEqual(saves, [17], 'counted from the resumed step; none after the last');
    saves.length = 0;
    await trainLoop({
      totalSteps: 4,
      learningRate: () => 1,
      step: () => {
        blockFor(15);
        return {};
      },
      checkpoint: { everySteps: 1000, everyMs: 10, save: (n) => void saves.push(n) },
    });
    assert.deepEqual(saves, [1, 2, 3], 'the time bound alone triggers');
    await assert.rejects(
      trainLoop({ totalSteps: 3, learningRate: () => 1, step: () => ({}), startStep: 4 }),
      RangeError,
    );
  });

  test('runs to completion and honours a time limit', async () => {
    const done = await trainLoop({ totalSteps: 3, learningRate: () => 1, step: () => ({}) });
    assert.deepEqual([done.stopReason, done.stepsDone], ['completed', 3]);
    const limited = await trainLoop({
      totalSteps: 1000,
      learningRate: () => 1,
      step: () => {
        blockFor(5);
        return {};
      },
      maxDurationMs: 30,
    });
    assert.equal(limited.stopReason, 'time-limit');
    assert.ok(limited.stepsDone < 1000 && limited.stepsDone >= 1);
  });
});

describe('layers', () => {
  test('dense, layerNorm and batchNorm match direct computations', () => {
    const rng = new SeededRng('layers');
    const store = new VariableStore();
    const d = createDense(store, 'd', 3, 2, rng);
    const ln = createLayerNorm(store, 'ln', 3);
    const bn = createBatchNorm(store, 'bn', 3);
    const xs = [
      [1, 2, 3],
      [4, 0, -1],
      [2, 2, 5],
      [0, 1, 1],
    ];
    const x = tf.tensor3d(xs.flat(), [2, 2, 3]);
    const kernel = d.kernel.arraySync() as number[][];

    const y = dense(x, d);
    assert.deepEqual(y.shape, [2, 2, 2]);
    close(
      y.dataSync(),
      xs.flatMap((row) => [0, 1].map((o) => row.reduce((s, v, i) => s + v * kernel[i][o], 0))),
      1e-5,
      'dense',
    );

    const lnOut = layerNorm(x, ln);
    close(
      lnOut.dataSync(),
      xs.flatMap((row) => {
        const mu = row.reduce((a, b) => a + b) / 3;
        const variance = row.reduce((a, b) => a + (b - mu) ** 2, 0) / 3;
        return row.map((v) => (v - mu) / Math.sqrt(variance + 1e-5));
      }),
      1e-4,
      'layerNorm',
    );

    const updates: StatUpdate[] = [];
    const trainOut = batchNorm(x, bn, { training: true, updates });
    const cols = [0, 1, 2].map((c) => xs.map((r) => r[c]));
    const mus = cols.map((c) => c.reduce((a, b) => a + b) / 4);
    const vars = cols.map((c, i) => c.reduce((a, b) => a + (b - mus[i]) ** 2, 0) / 4);
    close(
      trainOut.dataSync(),
      xs.flatMap((row) => row.map((v, c) => (v - mus[c]) / Math.sqrt(vars[c] + 1e-5))),
      1e-4,
      'batchNorm train',
    );
    assert.equal(updates.length, 2);
    applyStatUpdates(updates);
    assert.equal(updates.length, 0);
    close(
      bn.runningMean.dataSync(),
      mus.map((m) => 0.1 * m),
      1e-5,
      'running mean',
    );
    close(
      bn.runningVar.dataSync(),
      vars.map((v) => 0.9 + 0.1 * v * (4 / 3)),
      1e-5,
      'running var (unbiased)',
    );
    const inferOut = batchNorm(x, bn, INFERENCE);
    const rm = bn.runningMean.dataSync();
    const rv = bn.runningVar.dataSync();
    close(
      inferOut.dataSync(),
      xs.flatMap((row) => row.map((v, c) => (v - rm[c]) / Math.sqrt(rv[c] + 1e-5))),
      1e-4,
      'batchNorm inference',
    );
    tf.dispose([x, y, lnOut, trainOut, inferOut]);
    assert.equal(store.parameterCount(), 3 * 2 + 2 + 3 + 3 + 3 + 3);
    assert.equal(Object.keys(store.all()).length, Object.keys(store.params()).length + 2);
    store.dispose();
  });

  test('stopGradient is the identity forward and blocks the gradient', () => {
    const x = tf.tensor1d([1, -2, 3]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.add(tf.square(v), tf.mul(stopGradient(v), 5))))(x);
    close(g.dataSync(), [2, -4, 6], 1e-6, 'grad');
    const y = stopGradient(x);
    close(y.dataSync(), [1, -2, 3], 0, 'value');
    tf.dispose([x, g, y]);
  });

  test('batchNorm gradients flow and a training step leaks no tensors', () => {
    const rng = new SeededRng('leak');
    const store = new VariableStore();
    const d = createDense(store, 'd', 4, 4, rng);
    const bn = createBatchNorm(store, 'bn', 4);
    const opt = new AdamW(store.params(), { weightDecay: 1e-5 });
    const x = tf.randomNormal([8, 4], 0, 1, 'float32', 7);
    const step = (): number => {
      const updates: StatUpdate[] = [];
      const { value, grads } = tf.variableGrads(
        () => tf.mean<tf.Scalar>(tf.square(batchNorm(dense(x, d), bn, { training: true, updates }))),
        Object.values(store.params()),
      );
      const named = Object.fromEntries(
        Object.entries(store.params()).map(([name, v]) => [name, grads[v.name]]),
      );
      opt.apply(named, 1e-2);
      applyStatUpdates(updates);
      const loss = value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads)]);
      return loss;
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    opt.dispose();
    store.dispose();
  });
});
