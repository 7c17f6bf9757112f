import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { FCN_PROFILES, FcnClassifier } from '@maskgen/metrics';
import { SeededRng, initTensorBackend, randomNormalTensor } from '@maskgen/tensor';
import { createInferenceEngine, type InferenceEngine } from '@maskgen/inference';

let engine: InferenceEngine;

before(async () => {
  await initTensorBackend('wasm');
  engine = createInferenceEngine({ preference: 'ort', threads: 2 });
});

after(async () => {
  await engine.close();
});

test('the evaluation FCN on ONNX Runtime gives the tfjs features and probabilities within 1e-4', async () => {
  const rng = new SeededRng('fcn-parity');
  // An odd length and both kernel parities exercise the 'same' padding; 3 classes.
  const fcn = new FcnClassifier(FCN_PROFILES.tiny, { length: 77, classes: 3 }, rng.fork('init'));
  try {
    // Random running statistics and affine terms, so the folded BatchNorm is not the identity.
    for (const [name, v] of Object.entries(fcn.store.all())) {
      const noise = randomNormalTensor(v.shape, rng.fork(name), 0, 0.3);
      v.assign(name.endsWith('running_var') ? tf.add(tf.abs(noise), 0.5) : tf.add(v, noise));
      noise.dispose();
    }
    const rows = 600; // more than one ORT call (512 rows each)
    const values = Float32Array.from({ length: rows * 77 }, () => rng.next() * 4 - 2);
    const featurizer = await engine.prepareClassifier(fcn);
    try {
      const want = fcn.infer(values, rows);
      const got = await featurizer.inferAsync(values, rows);
      const worst = (a: Float32Array, b: Float32Array) =>
        a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]) / (1 + Math.abs(v))), 0);
      assert.equal(got.features.length, rows * fcn.featureDim);
      assert.ok(worst(want.features, got.features) < 1e-4, `features ${worst(want.features, got.features)}`);
      assert.ok(
        worst(want.probabilities, got.probabilities) < 1e-4,
        `probabilities ${worst(want.probabilities, got.probabilities)}`,
      );
      await assert.rejects(featurizer.inferAsync(values, rows + 1), /values for/);
    } finally {
      await featurizer.dispose();
    }
  } finally {
    fcn.dispose();
  }
});
