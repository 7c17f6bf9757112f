import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '@maskgen/tensor';
import { inceptionScore } from '@maskgen/metrics';

function randomProbs(rows: number, classes: number, rng: SeededRng): Float64Array {
  const p = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += p[r * classes + k] = Math.exp(2 * rng.normal());
    for (let k = 0; k < classes; k++) p[r * classes + k] /= sum;
  }
  return p;
}

const entropy = (p: ArrayLike<number>): number => {
  let h = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) h -= p[i] * Math.log(p[i]);
  return h;
};

describe('inceptionScore', () => {
  test('confident, balanced predictions over K classes give K; identical predictions give 1', () => {
    const k = 5;
    const rows = 100;
    const oneHot = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++) oneHot[r * k + (r % k)] = 1;
    const confident = inceptionScore(oneHot, rows, k, { splits: 4 });
    confident.scores.forEach((s) => assert.ok(Math.abs(s - k) < 1e-9, `${s}`));
    assert.ok(confident.std < 1e-9);
    const same = new Float64Array(rows * k).fill(1 / k);
    assert.ok(Math.abs(inceptionScore(same, rows, k, { splits: 1 }).mean - 1) < 1e-12);
  });

  test('one split equals exp(H(mean p) − mean H(p)) (independent identity)', () => {
    const rows = 200;
    const k = 4;
    const p = randomProbs(rows, k, new SeededRng('is-identity'));
    const marginal = new Float64Array(k);
    let meanEntropy = 0;
    for (let r = 0; r < rows; r++) {
      const row = p.subarray(r * k, (r + 1) * k);
      row.forEach((v, i) => (marginal[i] += v / rows));
      meanEntropy += entropy(row) / rows;
    }
    const expected = Math.exp(entropy(marginal) - meanEntropy);
    const { mean } = inceptionScore(p, rows, k, { splits: 1 });
    assert.ok(Math.abs(mean - expected) < 1e-9 * expected, `${mean} vs ${expected}`);
  });

  test('splits drop the remainder, report mean and population std, and shuffle deterministically', () => {
    const rows = 103;
    const k = 3;
    const p = randomProbs(rows, k, new SeededRng('is-splits'));
    const r = inceptionScore(p, rows, k, { splits: 10 });
    assert.equal(r.scores.length, 10);
    // Unshuffled split 0 is rows 0..9.
    assert.ok(Math.abs(r.scores[0] - inceptionScore(p.subarray(0, 30), 10, k, { splits: 1 }).mean) < 1e-12);
    const mean = r.scores.reduce((a, b) => a + b) / 10;
    assert.ok(Math.abs(r.mean - mean) < 1e-12);
    assert.ok(Math.abs(r.std - Math.sqrt(r.scores.reduce((a, b) => a + (b - mean) ** 2, 0) / 10)) < 1e-12);
    const s1 = inceptionScore(p, rows, k, { splits: 10, rng: new SeededRng(7) });
    const s2 = inceptionScore(p, rows, k, { splits: 10, rng: new SeededRng(7) });
    assert.deepEqual(s1.scores, s2.scores);
    assert.notDeepEqual(s1.scores, r.scores);
    assert.throws(() => inceptionScore(p, rows, k, { splits: 200 }), /cannot be split/);
  });
});
