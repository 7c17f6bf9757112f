import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Dataset,
  applyScaling,
  fitGlobalScaling,
  inverseScaleSeries,
  loadBuiltinUcr,
  parseUcrTrainTest,
  scaleTrainTest,
} from '@maskgen/data';

function allValues(dataset: Dataset): number[] {
  return dataset.values.flatMap((series) => Array.from(series));
}

function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

describe('global scaling (one scalar mean and std fitted on train)', () => {
  // Values far from zero so a forgotten mean subtraction would show.
  const data = parseUcrTrainTest(
    { content: '1\t10\t20\t30\n2\t40\t50\t60\n', sourceName: 'S_TRAIN.tsv' },
    { content: '1\t100\t0\t35\n', sourceName: 'S_TEST.tsv' },
  );

  void test('fits the population mean and std of all training values', () => {
    const scaling = fitGlobalScaling(data.train);
    const expected = meanStd([10, 20, 30, 40, 50, 60]);
    assert.ok(Math.abs(scaling.mean - 35) < 1e-9);
    assert.ok(Math.abs(scaling.std - expected.std) < 1e-9);
    assert.equal(scaling.perSeriesZNormalized, false);
  });

  void test('train has mean 0 and std 1 after scaling; test uses the train parameters', () => {
    const scaled = scaleTrainTest(data);
    const train = meanStd(allValues(scaled.train));
    assert.ok(Math.abs(train.mean) < 1e-6);
    assert.ok(Math.abs(train.std - 1) < 1e-6);
    const std = Math.sqrt(((10 - 35) ** 2 + 15 ** 2 + 5 ** 2 + 5 ** 2 + 15 ** 2 + 25 ** 2) / 6);
    const expectedTest = [100, 0, 35].map((value) => Math.fround((value - 35) / std));
    assert.deepEqual(Array.from(scaled.test.values[0]), expectedTest);
    assert.deepEqual(Array.from(scaled.test.labels), Array.from(data.test.labels));
  });

  void test('inverse scaling restores the original values', () => {
    const scaled = scaleTrainTest(data);
    const restored = inverseScaleSeries(scaled.test.values[0], scaled.scaling);
    [100, 0, 35].forEach((value, t) => assert.ok(Math.abs(restored[t] - value) < 1e-4));
  });

  void test('does not modify its input', () => {
    const before = allValues(data.train);
    applyScaling(data.train, fitGlobalScaling(data.train));
    assert.deepEqual(allValues(data.train), before);
  });

  void test('a constant training set scales by 1 instead of dividing by zero', () => {
    const constant = parseUcrTrainTest(
      { content: '1\t5\t5\n', sourceName: 'c.tsv' },
      { content: '1\t6\t5\n', sourceName: 'c.tsv' },
    );
    const scaled = scaleTrainTest(constant);
    assert.equal(scaled.scaling.std, 1);
    assert.deepEqual(Array.from(scaled.test.values[0]), [1, 0]);
  });

  void test('on real data (CBF) the scaled train split is standardised', () => {
    const scaled = scaleTrainTest(loadBuiltinUcr('CBF'));
    const train = meanStd(allValues(scaled.train));
    assert.ok(Math.abs(train.mean) < 1e-5);
    assert.ok(Math.abs(train.std - 1) < 1e-5);
    const test = meanStd(allValues(scaled.test));
    // Test is a different sample, so only roughly standardised.
    assert.ok(Math.abs(test.mean) < 0.2 && Math.abs(test.std - 1) < 0.2);
  });
});

describe('per-series z-normalisation option', () => {
  void test('every series has mean 0 and std 1 before the global step', () => {
    const data = parseUcrTrainTest(
      { content: '1\t1\t2\t3\n2\t100\t300\t200\n', sourceName: 'z.tsv' },
      { content: '1\t-5\t0\t5\n', sourceName: 'z.tsv' },
    );
    const scaled = scaleTrainTest(data, { perSeries: true });
    assert.equal(scaled.scaling.perSeriesZNormalized, true);
    for (const series of [...scaled.train.values, ...scaled.test.values]) {
      const { mean, std } = meanStd(Array.from(series));
      assert.ok(Math.abs(mean) < 1e-6);
      assert.ok(Math.abs(std - 1) < 1e-6);
    }
    const z = Math.sqrt(1.5);
    assert.deepEqual(Array.from(scaled.test.values[0]), [-z, 0, z].map(Math.fround));
  });
});
