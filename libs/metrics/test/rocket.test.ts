import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSyntheticTrainTest } from '@maskgen/data';
import { createRocket, frechetDistance, rocketFeatures } from '@maskgen/metrics';

describe('ROCKET features', () => {
  test('kernels follow the ROCKET distributions and are seeded', () => {
    const t = createRocket(150, { kernels: 200, seed: 3 });
    assert.equal(t.dim, 400);
    for (const k of t.kernels) {
      assert.ok([7, 9, 11].includes(k.weights.length));
      assert.ok(Math.abs(k.weights.reduce((a, b) => a + b, 0)) < 1e-12);
      assert.ok(k.bias >= -1 && k.bias <= 1);
      assert.ok(k.dilation >= 1 && (k.weights.length - 1) * k.dilation <= 149);
      assert.ok(k.padding === 0 || k.padding === Math.floor(((k.weights.length - 1) * k.dilation) / 2));
    }
    assert.ok(new Set(t.kernels.map((k) => k.dilation)).size > 5, 'dilations vary');
    assert.deepEqual(createRocket(150, { kernels: 200, seed: 3 }), t);
    assert.notDeepEqual(createRocket(150, { kernels: 200, seed: 4 }).kernels[0], t.kernels[0]);
  });

  test('features equal an explicit zero-padded dilated convolution', () => {
    const length = 40;
    const t = createRocket(length, { kernels: 30, seed: 1 });
    const x = Float32Array.from({ length }, (_, i) => Math.sin(i / 3) + 0.1 * i);
    const f = rocketFeatures(t, [x]);
    t.kernels.forEach((k, i) => {
      const padded = [...new Array<number>(k.padding).fill(0), ...x, ...new Array<number>(k.padding).fill(0)];
      const span = (k.weights.length - 1) * k.dilation;
      const out: number[] = [];
      for (let s = 0; s + span < padded.length; s++) {
        out.push(k.bias + k.weights.reduce((acc, w, j) => acc + w * padded[s + j * k.dilation], 0));
      }
      const ppv = out.filter((v) => v > 0).length / out.length;
      assert.ok(Math.abs(f.data[2 * i] - ppv) < 1e-12, `ppv ${i}`);
      assert.ok(Math.abs(f.data[2 * i + 1] - Math.max(...out)) < 1e-9, `max ${i}`);
    });
  });

  test('FID on ROCKET features separates same-distribution from different-distribution sets', () => {
    const a = generateSyntheticTrainTest('cbf', { seed: 1, trainPerClass: 100, testPerClass: 100 });
    const t = createRocket(a.length, { seed: 0 });
    const train = rocketFeatures(t, a.train.values);
    const test = rocketFeatures(t, a.test.values);
    const same = frechetDistance(train, test).distance;
    // Only class 0 (cylinders): a mode-collapsed "generator".
    const collapsed = rocketFeatures(
      t,
      a.test.values.filter((_, i) => a.test.labels[i] === 0),
    );
    const different = frechetDistance(train, collapsed).distance;
    assert.ok(different > 3 * same, `same ${same}, collapsed ${different}`);
  });
});
