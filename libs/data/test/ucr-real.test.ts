import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BUILTIN_UCR_DATASETS,
  BUILTIN_UCR_DIR,
  type TrainTestDataset,
  classCounts,
  findUcrDataset,
  loadBuiltinUcr,
  loadUcrDataset,
} from '@maskgen/data';

const SHARED_UCR_DIR = path.resolve(__dirname, '../../../../shared/data/ucr');
const sharedPresent = existsSync(SHARED_UCR_DIR);

interface Expected {
  train: number;
  test: number;
  length: number;
  classNames: string[];
  trainCounts: number[];
  testCounts: number[];
}

// Copied from the figures in /work/shared/data/ucr/README.md, not computed by our parser: one row per
// dataset with its train rows, test rows, series length, class names and samples per class in train and test.
const README_FIGURES: [string, number, number, number, string[], number[], number[]][] = [
  ['GunPoint', 50, 150, 150, ['1', '2'], [24, 26], [76, 74]],
  ['ItalyPowerDemand', 67, 1029, 24, ['1', '2'], [34, 33], [513, 516]],
  ['ArrowHead', 36, 175, 251, ['0', '1', '2'], [12, 12, 12], [69, 53, 53]],
  ['ECG200', 100, 100, 96, ['-1', '1'], [31, 69], [36, 64]],
  ['CBF', 30, 900, 128, ['1', '2', '3'], [10, 12, 8], [300, 298, 302]],
  ['Coffee', 28, 28, 286, ['0', '1'], [14, 14], [15, 13]],
  [
    'SyntheticControl',
    300,
    300,
    60,
    ['1', '2', '3', '4', '5', '6'],
    [50, 50, 50, 50, 50, 50],
    [50, 50, 50, 50, 50, 50],
  ],
  ['Beef', 30, 30, 470, ['1', '2', '3', '4', '5'], [6, 6, 6, 6, 6], [6, 6, 6, 6, 6]],
  ['SonyAIBORobotSurface1', 20, 601, 70, ['1', '2'], [6, 14], [343, 258]],
  ['SonyAIBORobotSurface2', 27, 953, 65, ['1', '2'], [11, 16], [365, 588]],
  ['Strawberry', 613, 370, 235, ['1', '2'], [219, 394], [132, 238]],
];
const EXPECTED: Record<string, Expected> = Object.fromEntries(
  README_FIGURES.map(([name, train, test, length, classNames, trainCounts, testCounts]) => [
    name,
    { train, test, length, classNames, trainCounts, testCounts },
  ]),
);

function checkAgainstReadme(data: TrainTestDataset, expected: Expected): void {
  assert.equal(data.train.values.length, expected.train, 'train rows');
  assert.equal(data.test.values.length, expected.test, 'test rows');
  assert.equal(data.length, expected.length, 'length');
  assert.deepEqual(data.classNames, expected.classNames);
  assert.deepEqual(classCounts(data.train), expected.trainCounts);
  assert.deepEqual(classCounts(data.test), expected.testCounts);
  for (const split of [data.train, data.test]) {
    assert.equal(split.labels.length, split.values.length);
    for (const series of split.values) {
      assert.equal(series.length, expected.length);
      assert.ok(series.every(Number.isFinite));
    }
  }
  // The README says every series here is z-normalised, so a parse that shifted or
  // dropped values would show up as a non-zero series mean.
  const first = data.train.values[0];
  const mean = first.reduce((sum, value) => sum + value, 0) / first.length;
  assert.ok(Math.abs(mean) < 1e-3, `first training series mean ${mean}`);
}

describe('real UCR datasets', () => {
  void test('every dataset in the shared archive matches the README counts', (t) => {
    if (!sharedPresent) {
      t.diagnostic(`${SHARED_UCR_DIR} not found; the vendored subset is checked below instead`);
      return;
    }
    for (const [name, expected] of Object.entries(EXPECTED)) {
      const data = loadUcrDataset(path.join(SHARED_UCR_DIR, name), name);
      assert.equal(data.name, name);
      checkAgainstReadme(data, expected);
    }
  });

  void test('vendored datasets load and match the README counts', () => {
    for (const name of BUILTIN_UCR_DATASETS) checkAgainstReadme(loadBuiltinUcr(name), EXPECTED[name]);
  });

  void test('vendored files are byte-identical to the shared archive', (t) => {
    if (!sharedPresent) {
      t.diagnostic('shared archive absent; byte comparison skipped');
      return;
    }
    const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
    for (const name of BUILTIN_UCR_DATASETS) {
      const vendored = findUcrDataset(name);
      assert.ok(vendored);
      const shared = sharedPaths(name);
      assert.equal(sha256(vendored.trainPath), sha256(shared.train), `${name} train`);
      assert.equal(sha256(vendored.testPath), sha256(shared.test), `${name} test`);
    }
  });

  void test('known first values and labels survive parsing', () => {
    const gunPoint = loadBuiltinUcr('GunPoint');
    assert.equal(gunPoint.test.values[0][0], Math.fround(-1.1250133));
    assert.equal(gunPoint.test.values[0][1], Math.fround(-1.1313383));
    const ecg = loadBuiltinUcr('ECG200');
    assert.equal(ecg.classNames[ecg.train.labels[0]], '-1');
    assert.equal(ecg.train.values[0][0], Math.fround(0.50205548));
  });

  void test('findUcrDataset prefers vendored copies and falls back to extra directories', (t) => {
    const gunPoint = findUcrDataset('GunPoint', [SHARED_UCR_DIR]);
    assert.ok(gunPoint);
    assert.equal(gunPoint.dir, path.join(BUILTIN_UCR_DIR, 'GunPoint'));
    assert.equal(findUcrDataset('ArrowHead'), undefined);
    assert.equal(findUcrDataset('NoSuchDataset', [SHARED_UCR_DIR]), undefined);
    assert.throws(() => findUcrDataset('../GunPoint'), RangeError);
    if (!sharedPresent) {
      t.diagnostic('shared archive absent; extra-directory lookup not exercised');
      return;
    }
    const arrowHead = findUcrDataset('ArrowHead', [SHARED_UCR_DIR]);
    assert.ok(arrowHead);
    assert.equal(arrowHead.format, 'ts');
    assert.equal(arrowHead.dir, path.join(SHARED_UCR_DIR, 'ArrowHead'));
  });
});

function sharedPaths(name: string): { train: string; test: string } {
  const ext = existsSync(path.join(SHARED_UCR_DIR, name, `${name}_TRAIN.ts`)) ? 'ts' : 'tsv';
  return {
    train: path.join(SHARED_UCR_DIR, name, `${name}_TRAIN.${ext}`),
    test: path.join(SHARED_UCR_DIR, name, `${name}_TEST.${ext}`),
  };
}
