import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initTensorBackend } from '@maskgen/tensor';
import {
  type PreparedDataset,
  type StageContext,
  type StageResult,
  loadDatasetByName,
  prepareDataset,
  trainPriorStage,
  trainStage1Stage,
} from '@maskgen/pipeline';

const opts = { profile: 'tiny', seed: 5 } as const;
let data: PreparedDataset;

before(async () => {
  await initTensorBackend('wasm');
  data = prepareDataset(loadDatasetByName('ItalyPowerDemand'));
});

type Stage = (ctx: StageContext) => Promise<StageResult>;

/**
 * Runs `stage` once uninterrupted, and once aborted after `abortAt` steps (saving a state every `every` steps and
 * on the abort) then resumed from the last saved state; returns both results and the saved steps.
 */
async function interruptedAndUninterrupted(stage: Stage, abortAt: number, every: number) {
  const whole = await stage({});
  const saved: Array<{ step: number; bytes: Buffer }> = [];
  const controller = new AbortController();
  await assert.rejects(
    stage({
      signal: controller.signal,
      onProgress: (p) => {
        if (p.step === abortAt) controller.abort(new Error('worker shutting down'));
      },
      checkpoints: { everySteps: every, everyMs: 3_600_000, save: (s) => void saved.push(s) },
    }),
  );
  const last = saved.at(-1);
  assert.ok(last !== undefined, 'a state was saved');
  const resumedProgress: number[] = [];
  const resumed = await stage({
    onProgress: (p) => void resumedProgress.push(p.step),
    checkpoints: { save: () => undefined, resumeFrom: last.bytes },
  });
  return { whole, resumed, saved: saved.map((s) => s.step), resumedProgress };
}

describe('resumable stages (tiny profile)', () => {
  test('stage 1 aborted at step 17 and resumed ends bit for bit as the uninterrupted run', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const { whole, resumed, saved, resumedProgress } = await interruptedAndUninterrupted(
      (ctx) => trainStage1Stage(data, {}, opts, ctx),
      17,
      5,
    );
    // Saved at 5, 10, 15 and on the abort after step 17: nothing trained is lost.
    assert.deepEqual(saved, [5, 10, 15, 17]);
    assert.ok(resumedProgress[0] > 17, `resumed run reports steps after 17, got ${resumedProgress[0]}`);
    assert.equal(resumed.metrics.steps, whole.metrics.steps);
    assert.equal(resumed.metrics.loss, whole.metrics.loss);
    assert.equal(resumed.metrics.testMse, whole.metrics.testMse);
    assert.ok(Buffer.from(resumed.checkpoint).equals(Buffer.from(whole.checkpoint)), 'same checkpoint bytes');
    assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensors leaked');
  });

  test('the prior aborted at step 3 and resumed ends bit for bit as the uninterrupted run', async () => {
    const stage1 = (await trainStage1Stage(data, {}, opts)).checkpoint;
    const tensorsBefore = tf.memory().numTensors;
    const { whole, resumed, saved } = await interruptedAndUninterrupted(
      (ctx) => trainPriorStage(data, { stage1 }, opts, ctx),
      3,
      2,
    );
    assert.deepEqual(saved, [2, 3]);
    assert.equal(resumed.metrics.loss, whole.metrics.loss);
    assert.ok(Buffer.from(resumed.checkpoint).equals(Buffer.from(whole.checkpoint)), 'same checkpoint bytes');
    assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensors leaked');
  });
});
