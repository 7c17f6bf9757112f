import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { SeededRng, initTensorBackend, randomNormalTensor } from '@maskgen/tensor';
import {
  GUNPOINT_PRIOR_SHAPES,
  PRIOR_PAPER,
  TimeVqPrior,
  bottomK,
  drawStage,
  branchLogits,
  idsAfterStep,
  maskedCount,
  naiveDecode,
  selectStage,
  stepStreams,
  tfjsBranchRunner,
} from '@maskgen/model';
import { TINY_PRIOR_NETWORK } from './tiny-prior';

// GunPoint's token grid (ess.md §8.2) with a tiny network: these tests check the sampler, not the model.
const SHAPES = GUNPOINT_PRIOR_SHAPES;
const SAMPLING = PRIOR_PAPER.sampling;

function makePrior(seed: string): TimeVqPrior {
  const rng = new SeededRng(seed);
  const lf = randomNormalTensor([32, 64], rng.fork('cb-lf')) as tf.Tensor2D;
  const hf = randomNormalTensor([32, 64], rng.fork('cb-hf')) as tf.Tensor2D;
  try {
    return new TimeVqPrior(SHAPES, TINY_PRIOR_NETWORK, { lf, hf }, rng.fork('prior'));
  } finally {
    tf.dispose([lf, hf]);
  }
}

function countWhere(
  values: ArrayLike<number>,
  start: number,
  end: number,
  pred: (v: number) => boolean,
): number {
  let c = 0;
  for (let i = start; i < end; i++) if (pred(values[i])) c++;
  return c;
}

before(async () => {
  await initTensorBackend('wasm');
});

describe('mask schedule', () => {
  test('m(j) for N = 45, T = 10 is the spec table (ess.md §8.3)', () => {
    const counts = Array.from({ length: 10 }, (_, i) => maskedCount(45, 10, i + 1));
    assert.deepEqual(counts, [44, 42, 40, 36, 31, 26, 20, 13, 7, 0]);
    assert.equal(maskedCount(45, 10, 0), 45);
  });

  test('m(T) = 0 and m is non-increasing for every N in the spec table', () => {
    for (const n of [45, 190, 30, 35, 155, 60, 120, 40, 160, 180, 75, 70, 295, 90, 80, 145]) {
      for (const steps of [1, 5, 10, 20]) {
        assert.equal(maskedCount(n, steps, steps), 0, `N=${n} T=${steps}`);
        for (let j = 1; j <= steps; j++) assert.ok(maskedCount(n, steps, j) <= maskedCount(n, steps, j - 1));
      }
    }
  });
});

describe('bottomK', () => {
  test('marks exactly k per row, the lowest scores, ties by index', () => {
    const score = Float64Array.from([3, 1, 1, 2, Infinity, 0, 5, 5, 5, 5]);
    const mask = bottomK(score, 2, 5, 2);
    assert.deepEqual([...mask], [0, 1, 1, 0, 0, 1, 1, 0, 0, 0]);
    assert.deepEqual([...bottomK(score, 2, 5, 0)], new Array(10).fill(0));
    assert.throws(() => bottomK(score, 2, 5, 6), RangeError);
  });

  test('never picks +∞ while a finite score is left', () => {
    const rng = new SeededRng('bk');
    const score = Float64Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? Infinity : rng.normal()));
    const mask = bottomK(score, 3, 100, 60);
    for (let i = 0; i < 300; i++) if (score[i] === Infinity) assert.equal(mask[i], 0);
  });
});

describe('guidance', () => {
  test('w = 0 is the unconditional prior, w = 1 the conditional one, null classes unconditional', async () => {
    const prior = makePrior('guide');
    try {
      const rng = new SeededRng('g');
      const b = 3;
      const ids = Int32Array.from({ length: b * 45 }, () => rng.int(0, 33));
      const classes = Int32Array.from([0, 1, 2]);
      const runner = tfjsBranchRunner(prior.lf);
      const logits = (cls: Int32Array | null, guide: boolean, scale = 1) =>
        branchLogits(runner, ids, cls, b, { guide, scale });
      const maxDiff = (x: Float32Array, y: Float32Array) =>
        x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
      const uncond = await logits(null, false);
      const cond = await logits(classes, false);
      const w0 = await logits(classes, true, 0);
      const w1 = await logits(classes, true, 1);
      const none = await logits(null, true, 3);
      assert.ok(maxDiff(w0, uncond) < 1e-4);
      assert.ok(maxDiff(w1, cond) < 1e-4);
      assert.deepEqual(none, uncond);
      // The class slot matters: labels 0 and 1 give different logits on the same tokens.
      assert.ok(maxDiff(cond, uncond) > 1e-3);
    } finally {
      prior.dispose();
    }
  });
});

describe('naive iterative decoding (ess.md §5.1, §8.4)', () => {
  test('a direct caller gets the same sampling-config checks as the pipeline (a NaN temperature would be noise)', async () => {
    const prior = makePrior('bad-config');
    try {
      const call = (config: typeof SAMPLING) =>
        naiveDecode(prior, { count: 2, classes: null, config, rng: new SeededRng('bad-config-run') });
      await assert.rejects(call({ ...SAMPLING, choiceTemperature: Number.NaN }), {
        name: 'RangeError',
        message: 'choiceTemperature must be a finite number ≥ 0, got NaN',
      });
      await assert.rejects(call({ ...SAMPLING, guidanceScale: Infinity }), {
        name: 'RangeError',
        message: 'guidanceScale must be a finite number ≥ 0, got Infinity',
      });
      await assert.rejects(call({ ...SAMPLING, steps: 0 }), {
        name: 'RangeError',
        message: 'steps must be a positive integer, got 0',
      });
      // A spread of { choiceTemperature: undefined } over the defaults must not slip through as "no temperature".
      await assert.rejects(call({ ...SAMPLING, choiceTemperature: undefined as unknown as number }), {
        name: 'RangeError',
        message: 'choiceTemperature must be a finite number ≥ 0, got undefined',
      });
    } finally {
      prior.dispose();
    }
  });

  test('stage by stage: exactly m(t+1) masked after step t, revealed tokens never change', async () => {
    const prior = makePrior('stages');
    try {
      const b = 4;
      const n = SHAPES.lfTokens;
      const maskId = SHAPES.lfCodebookSize;
      const rng = new SeededRng('stages-run');
      let s: Int32Array = new Int32Array(b * n).fill(maskId);
      for (let t = 0; t < SAMPLING.steps; t++) {
        const streams = stepStreams(rng, 0, b, t);
        const logits = await branchLogits(tfjsBranchRunner(prior.lf), s, null, b, { guide: true, scale: 1 });
        const { draw, prob } = drawStage(logits, s, maskId, streams);
        for (let j = 0; j < s.length; j++) {
          assert.ok(draw[j] >= 0 && draw[j] < maskId);
          assert.ok(prob[j] > 0 && prob[j] <= 1);
          if (s[j] !== maskId) assert.equal(draw[j], s[j]);
        }
        const { next, confidence } = selectStage(s, draw, prob, t, SAMPLING, maskId, streams);
        for (let i = 0; i < b; i++) {
          assert.equal(
            countWhere(next, i * n, (i + 1) * n, (v) => v === maskId),
            maskedCount(n, SAMPLING.steps, t + 1),
          );
        }
        for (let j = 0; j < s.length; j++) {
          if (s[j] !== maskId) {
            assert.equal(next[j], s[j]);
            assert.equal(confidence[j], Infinity);
          }
        }
        s = next;
      }
      assert.ok(!s.includes(maskId));
    } finally {
      prior.dispose();
    }
  });

  test('trajectory: counts per step follow m(t+1), both branches, no mask id left', async () => {
    const prior = makePrior('traj');
    try {
      const count = 5;
      const out = await naiveDecode(prior, {
        count,
        classes: Int32Array.from([0, 1, 0, 1, 2]),
        config: SAMPLING,
        rng: new SeededRng('traj-run'),
      });
      for (const traj of [out.lf, out.hf]) {
        assert.equal(traj.batch, count);
        assert.ok(!traj.ids.includes(traj.maskId));
        for (let t = 0; t < traj.steps; t++) {
          const state = idsAfterStep(traj, t);
          for (let i = 0; i < count; i++) {
            const masked = countWhere(
              state,
              i * traj.tokens,
              (i + 1) * traj.tokens,
              (v) => v === traj.maskId,
            );
            assert.equal(masked, maskedCount(traj.tokens, traj.steps, t + 1), `step ${t} sample ${i}`);
          }
        }
        for (let j = 0; j < traj.ids.length; j++) {
          assert.ok(traj.fixedAt[j] >= 0 && traj.fixedAt[j] < traj.steps);
          assert.ok(traj.probability[j] > 0 && traj.probability[j] <= 1);
          assert.equal(traj.confidence[j], Math.log(traj.probability[j] + 1e-5));
        }
      }
    } finally {
      prior.dispose();
    }
  });

  test('bit-identical with a fixed seed, different with another, independent of chunking', async () => {
    const prior = makePrior('det');
    try {
      const classes = Int32Array.from([1, 0, 1, 0, 1, 0]);
      const run = (seed: string, memoryBudgetBytes?: number) =>
        naiveDecode(prior, {
          count: 6,
          classes,
          config: SAMPLING,
          rng: new SeededRng(seed),
          memoryBudgetBytes,
        });
      const a = await run('seed-1');
      const b = await run('seed-1');
      const c = await run('seed-2');
      const chunked = await run('seed-1', 1); // one sample per chunk
      for (const key of ['lf', 'hf'] as const) {
        assert.deepEqual(b[key].ids, a[key].ids);
        assert.deepEqual(b[key].fixedAt, a[key].fixedAt);
        assert.deepEqual(Buffer.from(b[key].probability.buffer), Buffer.from(a[key].probability.buffer));
        assert.deepEqual(chunked[key].ids, a[key].ids);
        assert.notDeepEqual(c[key].ids, a[key].ids);
      }
    } finally {
      prior.dispose();
    }
  });

  test('leaves no tensors behind across calls', async () => {
    const prior = makePrior('leak');
    try {
      const call = () =>
        naiveDecode(prior, {
          count: 3,
          classes: Int32Array.from([0, 1, 2]),
          config: SAMPLING,
          rng: new SeededRng(1),
        });
      await call();
      const before = tf.memory().numTensors;
      await call();
      await naiveDecode(prior, {
        count: 2,
        classes: null,
        config: { ...SAMPLING, guidanceScale: 2 },
        rng: new SeededRng(2),
      });
      assert.equal(tf.memory().numTensors, before);
    } finally {
      prior.dispose();
    }
  });

  test('stops on abort with the signal reason and without leaking', async () => {
    const prior = makePrior('abort');
    try {
      const controller = new AbortController();
      const before = tf.memory().numTensors;
      const pending = naiveDecode(prior, {
        count: 2,
        classes: null,
        config: SAMPLING,
        rng: new SeededRng(3),
        signal: controller.signal,
      });
      controller.abort(new Error('cancelled by test'));
      await assert.rejects(pending, /cancelled by test/);
      assert.equal(tf.memory().numTensors, before);
    } finally {
      prior.dispose();
    }
  });
});
