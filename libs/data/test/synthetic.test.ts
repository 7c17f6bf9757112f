import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Dataset,
  classCounts,
  generateSyntheticDataset,
  generateSyntheticTrainTest,
  isSyntheticGeneratorName,
  syntheticGenerators,
} from '@maskgen/data';

function nearestCentroidAccuracy(train: Dataset, test: Dataset): number {
  const classCount = train.classNames.length;
  const centroids = Array.from({ length: classCount }, () => new Float64Array(train.length));
  const counts = classCounts(train);
  train.values.forEach((series, i) => {
    const centroid = centroids[train.labels[i]];
    series.forEach((value, t) => (centroid[t] += value / counts[train.labels[i]]));
  });
  let correct = 0;
  test.values.forEach((series, i) => {
    let best = -1;
    let bestDistance = Infinity;
    centroids.forEach((centroid, k) => {
      let distance = 0;
      series.forEach((value, t) => (distance += (value - centroid[t]) ** 2));
      if (distance < bestDistance) [best, bestDistance] = [k, distance];
    });
    if (best === test.labels[i]) correct++;
  });
  return correct / test.values.length;
}

describe('synthetic generators', () => {
  for (const [name, generator] of Object.entries(syntheticGenerators)) {
    test(`${name}: same seed gives identical data, different seeds differ`, () => {
      const a = generator.generate({ seed: 42, countPerClass: 5 });
      const b = generator.generate({ seed: 42, countPerClass: 5 });
      const c = generator.generate({ seed: 43, countPerClass: 5 });
      assert.deepEqual(a.values, b.values);
      assert.deepEqual(a.labels, b.labels);
      assert.notDeepEqual(a.values, c.values);
    });

    test(`${name}: shapes and class balance`, () => {
      const data = generator.generate({ seed: 'shape', length: 77, countPerClass: 4 });
      assert.equal(data.length, 77);
      assert.equal(data.values.length, 4 * generator.classNames.length);
      assert.ok(data.values.every((series) => series.length === 77 && series.every(Number.isFinite)));
      assert.deepEqual(
        classCounts(data),
        generator.classNames.map(() => 4),
      );
      assert.equal(generator.generate({ seed: 1 }).length, generator.defaultLength);
      const uneven = generator.generate({ seed: 1, totalCount: 2 * generator.classNames.length + 1 });
      assert.deepEqual(
        classCounts(uneven),
        generator.classNames.map((_, k) => (k === 0 ? 3 : 2)),
      );
    });

    test(`${name}: classes are separable by a nearest-centroid classifier`, (t) => {
      const data = generateSyntheticTrainTest(generator.name, {
        seed: 7,
        trainPerClass: 50,
        testPerClass: 50,
      });
      const accuracy = nearestCentroidAccuracy(data.train, data.test);
      const chance = 1 / generator.classNames.length;
      t.diagnostic(`nearest-centroid accuracy ${accuracy.toFixed(3)} (chance ${chance.toFixed(3)})`);
      assert.ok(accuracy > chance + 0.3, `accuracy ${accuracy.toFixed(3)} vs chance ${chance.toFixed(3)}`);
    });
  }

  void test('invalid parameters are rejected', () => {
    assert.throws(() => generateSyntheticDataset('cbf', { seed: 1, length: 4 }), RangeError);
    assert.throws(() => generateSyntheticDataset('cbf', { seed: 1, length: 10.5 }), RangeError);
    assert.throws(() => generateSyntheticDataset('cbf', { seed: 1, countPerClass: 0 }), RangeError);
    assert.throws(
      () => generateSyntheticDataset('cbf', { seed: 1, countPerClass: 1, totalCount: 3 }),
      RangeError,
    );
    assert.throws(
      () => generateSyntheticDataset('cbf', { seed: 1, length: 100_000, totalCount: 1000 }),
      RangeError,
    );
    assert.equal(isSyntheticGeneratorName('cbf'), true);
    assert.equal(isSyntheticGeneratorName('toString'), false);
  });

  void test('train and test splits use different streams', () => {
    const data = generateSyntheticTrainTest('cbf', { seed: 3, trainPerClass: 2, testPerClass: 2 });
    assert.notDeepEqual(data.train.values, data.test.values);
    assert.deepEqual(data.classNames, ['cylinder', 'bell', 'funnel']);
  });
});

describe('CBF follows Saito (1994)', () => {
  const length = 256;
  const data = generateSyntheticDataset('cbf', { seed: 'saito', length, countPerClass: 300 });
  const scale = length / 128;

  function stats(values: number[]): { mean: number; std: number } {
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    return { mean, std: Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length) };
  }

  void test('before t = 16·L/128 every class is pure N(0,1) noise', () => {
    const early = data.values.flatMap((series) => Array.from(series.subarray(0, Math.floor(16 * scale) - 1)));
    const { mean, std } = stats(early);
    assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
    assert.ok(Math.abs(std - 1) < 0.05, `std ${std}`);
  });

  void test('inside the always-covered window cylinders sit near 6 and funnels start above bells', () => {
    // a ≤ 32·s and b ≥ a + 32·s ≥ 48·s, so t ∈ [32s, 48s] lies inside every event.
    const from = Math.ceil(32 * scale) - 1;
    const to = Math.floor(48 * scale);
    const classMean = (k: number, start: number, end: number) =>
      stats(
        data.values
          .filter((_, i) => data.labels[i] === k)
          .flatMap((series) => Array.from(series.subarray(start, end))),
      ).mean;
    const cylinder = classMean(0, from, to);
    assert.ok(Math.abs(cylinder - 6) < 0.3, `cylinder level ${cylinder}`);
    // Early in the event the funnel is near its peak and the bell near zero; late it is the reverse.
    assert.ok(classMean(2, from, to) > classMean(1, from, to) + 1.5);
    const lastThird = Math.floor((2 * length) / 3);
    assert.ok(classMean(1, lastThird, length) > classMean(2, lastThird, length) + 0.5);
  });
});
