import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { flattenValues, loadBuiltinUcr, scaleTrainTest } from '@maskgen/data';
import { SeededRng, initTensorBackend } from '@maskgen/tensor';
import { STAGE1_CPU_CONFIG, TimeVQVAE, evaluateStage1, trainStage1 } from '@maskgen/model';

before(async () => {
  await initTensorBackend('wasm');
});

/**
 * Acceptance on real data: the `cpu` profile, cut to 120 steps (the full profile runs 1000; docs/stage1.md), must
 * reconstruct the scaled GunPoint TEST split with MSE ≤ 0.1 and use more than half of each codebook on it.
 */
test('cpu profile, 120 steps: GunPoint test MSE ≤ 0.1 and codebook usage > K/2 per band', async () => {
  const data = scaleTrainTest(loadBuiltinUcr('GunPoint'));
  const train = { values: flattenValues(data.train), count: data.train.values.length };
  const testSplit = { values: flattenValues(data.test), count: data.test.values.length };
  const config = { ...STAGE1_CPU_CONFIG, maxSteps: 120 };
  const model = TimeVQVAE.create(
    config,
    { length: data.length, channels: 1 },
    new SeededRng(1).fork('model'),
  );
  const started = performance.now();
  const result = await trainStage1(model, train, { rng: new SeededRng(1).fork('train') });
  const seconds = (performance.now() - started) / 1000;
  const evaluation = evaluateStage1(model, testSplit);
  const report = `${result.stepsDone} steps in ${seconds.toFixed(1)} s: test MSE ${evaluation.mse.toFixed(4)}, usage lf ${evaluation.usage.lf}/${config.codebookSize} hf ${evaluation.usage.hf}/${config.codebookSize}, perplexity lf ${evaluation.perplexity.lf.toFixed(1)} hf ${evaluation.perplexity.hf.toFixed(1)}`;
  console.log(report);
  assert.equal(result.stepsDone, 120);
  assert.ok(evaluation.mse <= 0.1, report);
  assert.ok(evaluation.usage.lf > config.codebookSize / 2, report);
  assert.ok(evaluation.usage.hf > config.codebookSize / 2, report);
  assert.equal(
    tf.memory().numTensors,
    Object.keys(model.store.all()).length,
    'only the model variables remain',
  );
  model.dispose();
});
