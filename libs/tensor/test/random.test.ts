import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  SeededRng,
  fans,
  glorotUniformTensor,
  gumbelNoiseTensor,
  initTensorBackend,
  multinomialTensor,
  randomNormalTensor,
  randomUniformTensor,
  sampleCategorical,
  truncatedNormalTensor,
} from '../src';

function draws(rng: SeededRng, n: number): number[] {
  return Array.from({ length: n }, () => rng.next());
}

function bytesOf(t: tf.Tensor): Buffer {
  const data = t.dataSync();
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

describe('SeededRng', () => {
  test('same seed gives the same stream; different seeds differ', () => {
    assert.deepEqual(draws(new SeededRng(7), 50), draws(new SeededRng(7), 50));
    assert.deepEqual(draws(new SeededRng('run-1'), 50), draws(new SeededRng('run-1'), 50));
    assert.notDeepEqual(draws(new SeededRng(7), 50), draws(new SeededRng(8), 50));
  });

  test('fork depends on the label only, not on draws from the parent', () => {
    const a = new SeededRng(1);
    const b = new SeededRng(1);
    draws(b, 17);
    assert.deepEqual(draws(a.fork('encoder'), 20), draws(b.fork('encoder'), 20));
    assert.notDeepEqual(draws(a.fork('encoder'), 20), draws(a.fork('decoder'), 20));
    assert.notDeepEqual(draws(a.fork('encoder'), 20), draws(new SeededRng(2).fork('encoder'), 20));
    // A nested fork is not the same stream as a flat label that spells the same path.
    assert.notDeepEqual(draws(a.fork('x').fork('y'), 20), draws(a.fork('x/y'), 20));
  });

  test('helpers stay in range and have plausible moments', () => {
    const rng = new SeededRng('moments');
    const n = 20000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const v = rng.normal(2, 3);
      sum += v;
      sumSq += v * v;
    }
    const mean = sum / n;
    const std = Math.sqrt(sumSq / n - mean * mean);
    assert.ok(Math.abs(mean - 2) < 0.1, `mean ${mean}`);
    assert.ok(Math.abs(std - 3) < 0.1, `std ${std}`);

    const counts = new Array<number>(5).fill(0);
    for (let i = 0; i < n; i++) {
      const k = rng.int(-2, 3);
      assert.ok(Number.isInteger(k) && k >= -2 && k < 3);
      counts[k + 2]++;
    }
    for (const c of counts) assert.ok(Math.abs(c - n / 5) < 0.05 * n, `counts ${counts.join(',')}`);

    for (let i = 0; i < 1000; i++) {
      const u = rng.uniform(-1, 4);
      assert.ok(u >= -1 && u < 4);
    }
    assert.throws(() => rng.int(3, 3), /low < high/);
    assert.throws(() => rng.choice([]), /empty/);
  });

  test('shuffle is a deterministic permutation; choice picks members', () => {
    const items = Array.from({ length: 30 }, (_, i) => i);
    const s1 = new SeededRng(3).shuffle(items);
    const s2 = new SeededRng(3).shuffle(items);
    assert.deepEqual(s1, s2);
    assert.notDeepEqual(s1, items);
    assert.deepEqual(
      [...s1].sort((a, b) => a - b),
      items,
    );
    assert.deepEqual(
      items,
      Array.from({ length: 30 }, (_, i) => i),
      'input untouched',
    );
    const rng = new SeededRng(4);
    for (let i = 0; i < 100; i++) assert.ok(items.includes(rng.choice(items)));
  });
});

describe('seeded tensors (wasm)', () => {
  before(async () => {
    await initTensorBackend('wasm');
  });

  const makers: Array<[string, (rng: SeededRng) => tf.Tensor]> = [
    ['uniform', (rng) => randomUniformTensor([64, 33], rng)],
    ['normal', (rng) => randomNormalTensor([64, 33], rng)],
    ['truncatedNormal', (rng) => truncatedNormalTensor([64, 33], rng, 0, 0.02)],
    ['glorotUniform', (rng) => glorotUniformTensor([3, 4, 16, 32], rng)],
    ['gumbel', (rng) => gumbelNoiseTensor([64, 33], rng)],
    ['categorical', (rng) => sampleCategorical(tf.zeros([64, 10]), rng)],
    ['multinomial', (rng) => multinomialTensor(tf.zeros<tf.Rank.R2>([64, 10]), 4, rng)],
  ];
  for (const [name, make] of makers) {
    test(`${name}: same seed is bit-identical, different seed differs, no leaks`, () => {
      const before = tf.memory().numTensors;
      const a = tf.tidy(() => make(new SeededRng(11).fork(name)));
      const b = tf.tidy(() => make(new SeededRng(11).fork(name)));
      const c = tf.tidy(() => make(new SeededRng(12).fork(name)));
      assert.ok(bytesOf(a).equals(bytesOf(b)));
      assert.ok(!bytesOf(a).equals(bytesOf(c)));
      tf.dispose([a, b, c]);
      assert.equal(tf.memory().numTensors, before);
    });
  }

  test('distributions: glorot limit, truncation at 2σ, gumbel mean', () => {
    const rng = new SeededRng('dist');
    const g = glorotUniformTensor([3, 4, 16, 32], rng);
    const { fanIn, fanOut } = fans([3, 4, 16, 32]);
    assert.deepEqual([fanIn, fanOut], [192, 384]);
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const gv = g.dataSync();
    assert.ok(gv.every((v) => Math.abs(v) <= limit));
    assert.ok(gv.some((v) => Math.abs(v) > 0.9 * limit));

    const t = truncatedNormalTensor([10000], rng, 1, 0.5);
    assert.ok(t.dataSync().every((v) => Math.abs(v - 1) <= 1.0 + 1e-6));

    const gumbel = gumbelNoiseTensor([50000], rng);
    let sum = 0;
    for (const v of gumbel.dataSync()) sum += v;
    const mean = sum / 50000;
    assert.ok(Math.abs(mean - 0.5772) < 0.03, `gumbel mean ${mean}`);
    tf.dispose([g, t, gumbel]);
  });

  test('sampleCategorical follows softmax(logits)', () => {
    const probs = [0.1, 0.2, 0.3, 0.4];
    const rows = 20000;
    const logits = tf.tile(tf.log(tf.tensor2d([probs])), [rows, 1]);
    const ids = sampleCategorical(logits, new SeededRng('cat'));
    assert.equal(ids.dtype, 'int32');
    assert.deepEqual(ids.shape, [rows]);
    const counts = new Array<number>(4).fill(0);
    for (const id of ids.dataSync()) counts[id]++;
    counts.forEach((c, k) => assert.ok(Math.abs(c / rows - probs[k]) < 0.015, `counts ${counts.join(',')}`));
    tf.dispose([logits, ids]);
  });
});
