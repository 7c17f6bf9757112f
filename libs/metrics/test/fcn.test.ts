import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { SeededRng, initTensorBackend } from '@maskgen/tensor';
import { loadBuiltinUcr, scaleTrainTest, type ScaledTrainTest } from '@maskgen/data';
import { INFERENCE } from '@maskgen/model';
import {
  FCN_PROFILES,
  FcnClassifier,
  casClassCounts,
  classificationAccuracyScore,
  createRocket,
  evaluateSamples,
  inceptionScore,
  frechetDistance,
  trainFcn,
} from '@maskgen/metrics';

let cbf: ScaledTrainTest;

before(async () => {
  await initTensorBackend('wasm');
  cbf = scaleTrainTest(loadBuiltinUcr('CBF'));
});

/** Float64 reference of the FCN forward pass in inference mode, from the model's own variables. */
function referenceForward(model: FcnClassifier, x: number[][]): { features: number[][]; logits: number[][] } {
  const v = Object.fromEntries(
    Object.entries(model.store.all()).map(([k, t]) => [k, Array.from(t.dataSync())]),
  );
  const features: number[][] = [];
  const logits: number[][] = [];
  for (const series of x) {
    let h: number[][] = series.map((value) => [value]); // [L][C]
    model.config.filters.forEach((cout, b) => {
      const k = model.config.kernels[b];
      const cin = h[0].length;
      const w = v[`block${b}/conv/kernel`]; // [1, k, cin, cout]
      const bias = v[`block${b}/conv/bias`];
      const left = Math.floor((k - 1) / 2);
      const mean = v[`block${b}/bn/running_mean`];
      const variance = v[`block${b}/bn/running_var`];
      const gamma = v[`block${b}/bn/gamma`];
      const beta = v[`block${b}/bn/beta`];
      h = h.map((_, t) =>
        Array.from({ length: cout }, (_, o) => {
          let s = bias[o];
          for (let j = 0; j < k; j++) {
            const src = t + j - left;
            if (src < 0 || src >= h.length) continue;
            for (let c = 0; c < cin; c++) s += w[(j * cin + c) * cout + o] * h[src][c];
          }
          const normed = ((s - mean[o]) / Math.sqrt(variance[o] + 1e-5)) * gamma[o] + beta[o];
          return Math.max(normed, 0);
        }),
      );
    });
    const f = h[0].map((_, c) => h.reduce((acc, row) => acc + row[c], 0) / h.length);
    const kernel = v['head/kernel'];
    const classes = model.spec.classes;
    features.push(f);
    logits.push(
      Array.from(
        { length: classes },
        (_, o) => v['head/bias'][o] + f.reduce((acc, fi, i) => acc + fi * kernel[i * classes + o], 0),
      ),
    );
  }
  return { features, logits };
}

describe('FCN evaluation classifier', () => {
  test("forward pass ('same' padding, BatchNorm, ReLU, GAP, linear) matches a float64 reference", () => {
    const config = { ...FCN_PROFILES.tiny, filters: [3, 4, 5] as const, kernels: [8, 5, 3] as const };
    const model = new FcnClassifier(config, { length: 20, classes: 3 }, new SeededRng('ref'));
    try {
      const rng = new SeededRng('ref-stats');
      // Non-trivial BatchNorm statistics and affine parameters.
      for (const [name, variable] of Object.entries(model.store.all())) {
        if (!name.includes('/bn/')) continue;
        const values = Array.from({ length: variable.size }, () =>
          name.endsWith('running_var') ? rng.uniform(0.5, 2) : rng.normal(0, 0.5),
        );
        variable.assign(tf.tensor(values, variable.shape));
      }
      const x = [0, 1].map((s) => Array.from({ length: 20 }, (_, t) => Math.sin(t / (2 + s)) + 0.05 * t));
      const input = tf.tensor2d(x);
      const out = model.forward(input, INFERENCE);
      input.dispose();
      const ref = referenceForward(model, x);
      const got = { features: out.features.arraySync(), logits: out.logits.arraySync() };
      tf.dispose([out.features, out.logits]);
      for (const key of ['features', 'logits'] as const) {
        got[key].flat().forEach((value, i) => {
          const expected = ref[key].flat()[i];
          assert.ok(
            Math.abs(value - expected) < 1e-4 * (1 + Math.abs(expected)),
            `${key}[${i}] ${value} vs ${expected}`,
          );
        });
      }
    } finally {
      model.dispose();
    }
  });

  test('trains on CBF well above chance; checkpoint round trip reproduces features and accuracy', async () => {
    const before = tf.memory().numTensors;
    const { model, training, testAccuracy } = await trainFcn(cbf.train, {
      config: 'tiny',
      seed: 1,
      test: cbf.test,
    });
    try {
      assert.equal(training.stopReason, 'completed');
      assert.ok(testAccuracy !== undefined && testAccuracy > 0.8, `CBF test accuracy ${testAccuracy}`);
      const bytes = model.serialize({ dataset: 'CBF' });
      const loaded = FcnClassifier.deserialize(bytes);
      try {
        const a = model.featuresOf(cbf.test.values.slice(0, 50));
        const b = loaded.featuresOf(cbf.test.values.slice(0, 50));
        assert.deepEqual(b.data, a.data);
        assert.equal(loaded.accuracy(cbf.test), testAccuracy);
        // Feature FID of real test vs real train is small next to test vs a shifted copy.
        const train = model.featuresOf(cbf.train.values);
        const test = model.featuresOf(cbf.test.values);
        const shifted = model.featuresOf(cbf.test.values.map((s) => s.map((value) => value + 1)));
        assert.ok(frechetDistance(test, train).distance < frechetDistance(shifted, train).distance);
        // The protocol helper: the real test split as "generated" data; every generated series is used and the
        // real side is always the whole test split.
        const rocket = createRocket(cbf.length, { seed: 0 });
        const self = await evaluateSamples(model, cbf.test.values, cbf.test.values, {
          rocket,
          classes: { real: cbf.test.labels, generated: cbf.test.labels },
          reference: cbf.train.values,
        });
        assert.equal(self.count, cbf.test.values.length);
        assert.equal(self.realCount, cbf.test.values.length);
        assert.ok(self.fid.distance < 1e-6 && (self.rocketFid?.distance ?? 1) < 1e-6);
        assert.equal(self.classHistograms.totalVariation, 0);
        assert.deepEqual(self.classHistograms.generated, self.classHistograms.real);
        assert.equal(
          self.classHistograms.real.reduce((s, v) => s + v, 0),
          cbf.test.values.length,
        );
        assert.equal(self.perClassFid?.length, 3);
        for (const c of self.perClassFid ?? []) assert.ok(c.result !== null && c.result.distance < 1e-6);
        assert.ok(
          Math.abs((self.referenceFid?.distance ?? -1) - frechetDistance(test, train).distance) < 1e-9,
        );
        const probs = model.probabilitiesOf(cbf.test.values);
        assert.deepEqual(self.inception, inceptionScore(probs, cbf.test.values.length, 3));
        assert.ok(self.inception.mean > 1.5, `IS ${self.inception.mean}`);
        // Fewer generated series than N_test: all of them against the whole real split (no real subset).
        const few = await evaluateSamples(model, cbf.test.values, cbf.test.values.slice(0, 20));
        assert.equal(few.count, 20);
        assert.equal(few.realCount, cbf.test.values.length);
        assert.deepEqual(few.fid, frechetDistance(test, model.featuresOf(cbf.test.values.slice(0, 20))));
        await assert.rejects(
          evaluateSamples(model, cbf.test.values, cbf.test.values.slice(0, 1)),
          /at least 2/,
        );
      } finally {
        loaded.dispose();
      }
      assert.throws(() => FcnClassifier.deserialize(Buffer.from('nope')));
    } finally {
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  });

  test('is seeded: same seed, same weights; another seed differs', async () => {
    const run = async (seed: number) => {
      const { model } = await trainFcn(cbf.train, { config: 'tiny', epochs: 3, seed });
      const bytes = model.serialize();
      model.dispose();
      return bytes;
    };
    const a = await run(5);
    assert.ok(a.equals(await run(5)));
    assert.ok(!a.equals(await run(6)));
  });

  test('stops on AbortSignal after the step in flight and reports progress', async () => {
    const controller = new AbortController();
    const steps: number[] = [];
    const { model, training } = await trainFcn(cbf.train, {
      config: 'tiny',
      seed: 2,
      signal: controller.signal,
      onProgress: (p) => {
        steps.push(p.step);
        if (p.step === 3) controller.abort();
      },
    });
    model.dispose();
    assert.deepEqual(steps, [1, 2, 3]);
    assert.equal(training.stepsDone, 3);
    assert.equal(training.stopReason, 'aborted');
  });
});

describe('CAS', () => {
  test('class counts scale the training distribution up to at least 1000', () => {
    assert.deepEqual(casClassCounts([0, 0, 1], 2), [667, 334]);
    assert.deepEqual(casClassCounts([0, 1, 1, 2], 3, 2), [1, 2, 1]);
  });

  test('a faithful "generator" scores high, one that swaps classes scores near 0', async () => {
    const faithful = await classificationAccuracyScore(cbf.train, cbf.test, {
      config: 'tiny',
      seed: 3,
      classes: 3,
    });
    faithful.model.dispose();
    const scrambled = { ...cbf.train, labels: cbf.train.labels.map((label) => (label + 1) % 3) };
    const bad = await classificationAccuracyScore(scrambled, cbf.test, {
      config: 'tiny',
      seed: 3,
      classes: 3,
    });
    bad.model.dispose();
    assert.ok(faithful.accuracy > 0.8, `faithful ${faithful.accuracy}`);
    assert.ok(bad.accuracy < 0.2, `swapped ${bad.accuracy}`);
  });
});
