import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classHistogram,
  FCN_PROFILES,
  fcnJudge,
  perClassFrechet,
  predictedClasses,
  totalVariationDistance,
} from '@maskgen/metrics';

describe('predicted-class histograms and total variation', () => {
  test('argmax per row (lowest index on ties) and the class counts', () => {
    const probs = Float32Array.from([0.1, 0.9, 0.6, 0.4, 0.5, 0.5, 0.2, 0.8]);
    assert.deepEqual([...predictedClasses(probs, 4, 2)], [1, 0, 0, 1]);
    assert.deepEqual(classHistogram([1, 0, 0, 1, 1], 3), [2, 3, 0]);
    assert.throws(() => classHistogram([3], 3), /outside/);
  });

  test('TV distance of known histograms', () => {
    assert.equal(totalVariationDistance([5, 5], [50, 50]), 0);
    assert.equal(totalVariationDistance([1, 0], [0, 3]), 1);
    // Real 76/74, generated 662/106 (issue 19): ½(|76/150 − 662/768| + |74/150 − 106/768|).
    const expected = Math.abs(76 / 150 - 662 / 768);
    assert.ok(Math.abs(totalVariationDistance([76, 74], [662, 106]) - expected) < 1e-15);
    assert.ok(Math.abs(totalVariationDistance([1, 1, 2], [2, 1, 1]) - 0.25) < 1e-15);
    assert.throws(() => totalVariationDistance([1], [1, 2]), /bins/);
    assert.throws(() => totalVariationDistance([0, 0], [1, 2]), /positive total/);
  });

  test('per-class FID compares each class with the real series of that class; too few rows give null', () => {
    // 1-d features: class 0 around 0, class 1 around 10; generated class 1 is shifted by 2.
    const real = { rows: 6, dim: 1, data: Float64Array.from([0, 1, -1, 10, 11, 9]) };
    const generated = { rows: 5, dim: 1, data: Float64Array.from([0, 1, -1, 12, 13]) };
    const result = perClassFrechet(real, [0, 0, 0, 1, 1, 1], generated, [0, 0, 0, 1, 1], 3);
    assert.deepEqual(
      result.map((c) => [c.classIndex, c.real, c.generated]),
      [
        [0, 3, 3],
        [1, 3, 2],
        [2, 0, 0],
      ],
    );
    assert.ok(result[0].result !== null && result[0].result.distance < 1e-12);
    // Means 10 vs 12.5 (4 × 1.5625 = 6.25); variances 1 vs 0.5: (1 − √0.5)².
    const expected = 6.25 + (1 - Math.sqrt(0.5)) ** 2;
    assert.ok(Math.abs((result[1].result?.distance ?? 0) - expected) < 1e-12);
    assert.equal(result[2].result, null);
  });

  test('the judge names its FCN profile', () => {
    assert.equal(fcnJudge(FCN_PROFILES.spec).profile, 'spec');
    assert.equal(fcnJudge({ ...FCN_PROFILES.cpu, epochs: 10 }).profile, 'cpu');
    assert.deepEqual(fcnJudge({ ...FCN_PROFILES.tiny, filters: [4, 8, 8] }), {
      profile: 'custom',
      filters: [4, 8, 8],
      epochs: 60,
    });
  });
});
