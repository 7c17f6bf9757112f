import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { flattenValues } from '@maskgen/data';
import {
  PRIOR_CPU,
  codeDistanceTable,
  criticDistances,
  generateSamples,
  maskedCount,
  nearestTokens,
  splitTokenLogits,
} from '@maskgen/model';
import { cbfWithStage1, trainCbfPrior } from './cbf-stage1';

/**
 * Small but real, as the prior acceptance test (prior-quality.test.ts) but shorter: CBF, stage 1 and a reduced prior
 * trained for a few dozen steps. The self-critic's raw code distances must be lower on real (nearest-code) test token
 * grids than on the same grids with a random 20 % of their tokens replaced by other ids; ESS runs (R, the default,
 * and D) on the same model must keep their invariants and leave no tensors behind.
 */
const STAGE1_STEPS = 40;
const PRIOR_STEPS = 100;
const GRIDS = 30;
const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;

test('CBF: critic distances are lower on real token grids than with 20 % of tokens replaced; ESS runs clean', async () => {
  const start = await cbfWithStage1(STAGE1_STEPS);
  const { data, rng, stage1 } = start;
  const baseline = tf.memory().numTensors;
  const { prior, logits } = await trainCbfPrior(start, { ...PRIOR_CPU.network, layers: 1 }, PRIOR_STEPS);
  const codebooks = { lf: stage1.codebook('lf'), hf: stage1.codebook('hf') };
  try {
    // Real LF token grids of test series (nearest codes), and the same grids with 20 % of positions replaced.
    const testLogits = splitTokenLogits(
      stage1,
      flattenValues(data.test).subarray(0, GRIDS * data.length),
      GRIDS,
      [1, data.length],
      1,
    );
    const nearest = nearestTokens(testLogits.lf);
    const real = nearest.dataSync() as Int32Array;
    tf.dispose([testLogits.lf, testLogits.hf, nearest]);
    const n = prior.shapes.lfTokens;
    const k = prior.shapes.lfCodebookSize;
    const corrupted = real.slice();
    const noise = rng.fork('corrupt');
    for (let b = 0; b < GRIDS; b++) {
      const order = Array.from({ length: n }, (_, i) => i).sort(() => noise.next() - 0.5);
      for (const p of order.slice(0, Math.round(0.2 * n))) {
        corrupted[b * n + p] = (real[b * n + p] + 1 + Math.floor(noise.next() * (k - 1))) % k;
      }
    }
    const classes = data.test.labels.slice(0, GRIDS);
    const ctx = {
      prior: prior.lf,
      distances: codeDistanceTable(codebooks.lf),
      codeDim: codebooks.lf.shape[1],
      rowsPerPass: 256,
    };
    const onReal = mean(await criticDistances(ctx, real, GRIDS, classes));
    const onCorrupted = mean(await criticDistances(ctx, corrupted, GRIDS, classes));

    const sampleClasses = Int32Array.from({ length: 24 }, (_, i) => i % data.classNames.length);
    const ess = await generateSamples(prior, codebooks, {
      method: 'ess',
      count: sampleClasses.length,
      classes: sampleClasses,
      rng: rng.fork('sample'),
    });
    const critic = ess.critic?.lf;
    const info = ess.ess?.lf;
    assert.ok(critic && info);
    const report =
      `critic mean code distance (LF): real ${onReal.toFixed(3)} vs 20 % replaced ${onCorrupted.toFixed(3)}; ` +
      `ESS on 24 samples: t* ${info.tStar}, re-masked ${info.remasked.filter((v) => v === 1).length / 24}/${n} ` +
      `per sample, distance naive ${mean(critic.distancesBefore).toFixed(3)} → ESS ${mean(critic.distancesAfter).toFixed(3)}`;
    console.log(report);
    assert.ok(onReal < onCorrupted, report);
    // The default is R (ess.md §10): any token may change, so only the shape of the result is checked here.
    assert.ok(info.tStar >= 1 && info.tStar <= 9 && !ess.lf.includes(k));
    for (let b = 0; b < sampleClasses.length; b++) {
      const masked: number = info.remasked.subarray(b * n, (b + 1) * n).reduce((sum, v) => sum + v, 0);
      assert.equal(masked, maskedCount(n, 10, info.tStar + 1), `sample ${b}: m(t*+1) re-masked`);
    }
    // D on the same naive start: only the re-masked tokens may change.
    const d = await generateSamples(prior, codebooks, {
      method: 'ess',
      count: sampleClasses.length,
      classes: sampleClasses,
      rng: rng.fork('sample'),
      ess: { variant: 'D' },
    });
    assert.deepEqual(d.naive.lf.ids, ess.naive.lf.ids);
    for (let j = 0; j < d.lf.length; j++) {
      if (d.ess!.lf!.remasked[j] === 0) assert.equal(d.lf[j], d.naive.lf.ids[j]);
    }
  } finally {
    prior.dispose();
    tf.dispose([logits.lf, logits.hf]);
  }
  assert.equal(tf.memory().numTensors, baseline, 'critic and ESS sampling leave no tensors behind');
  stage1.dispose();
});
