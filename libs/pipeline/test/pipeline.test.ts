import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  deserializeCheckpoint,
  disposeCheckpoint,
  initTensorBackend,
  serializeCheckpoint,
} from '@maskgen/tensor';
import {
  type PipelineCheckpoints,
  type PreparedDataset,
  type StageProgress,
  DatasetNameError,
  calibrateCriticStage,
  evaluateGenerated,
  loadDatasetByName,
  loadPipelineModel,
  prepareDataset,
  readPipelineCheckpoint,
  trainClassifierStage,
  trainPriorStage,
  trainStage1Stage,
  withOutputLength,
} from '@maskgen/pipeline';
import { maskedCount } from '@maskgen/model';

const opts = { profile: 'tiny', seed: 3 } as const;

async function trainAll(data: PreparedDataset, seed = opts.seed): Promise<PipelineCheckpoints> {
  const o = { ...opts, seed };
  const stage1 = (await trainStage1Stage(data, {}, o)).checkpoint;
  const prior = (await trainPriorStage(data, { stage1 }, o)).checkpoint;
  const critic = (await calibrateCriticStage(data, { stage1, prior }, o)).checkpoint;
  const classifier = (await trainClassifierStage(data, {}, o)).checkpoint;
  return { stage1, prior, critic, classifier };
}

let data: PreparedDataset;

/** ItalyPowerDemand cut to an odd length (23; Trace's 275 came back as 274 before istft took the length). */
function oddLengthData(): PreparedDataset {
  const raw = loadDatasetByName('ItalyPowerDemand');
  const cut = (split: typeof raw.train) => ({
    ...split,
    length: 23,
    values: split.values.map((v) => v.slice(0, 23)),
  });
  return prepareDataset({ ...raw, length: 23, train: cut(raw.train), test: cut(raw.test) });
}

/** Checkpoint bytes with meta.pipeline.outputLength replaced (weights untouched). */
function withStoredOutputLength(bytes: Uint8Array, outputLength: number): Uint8Array {
  const checkpoint = deserializeCheckpoint(bytes);
  try {
    const meta = checkpoint.manifest.meta;
    const pipeline = { ...(meta.pipeline as Record<string, unknown>), outputLength };
    return serializeCheckpoint(checkpoint.tensors, { ...meta, pipeline });
  } finally {
    disposeCheckpoint(checkpoint);
  }
}

before(async () => {
  await initTensorBackend('wasm');
  // ItalyPowerDemand (L = 24) is the cheapest vendored set; odd-length synthetic data covers the round-trip cut.
  data = prepareDataset(loadDatasetByName('ItalyPowerDemand'));
});

describe('pipeline (tiny profile)', () => {
  test('four stages → load from checkpoints → naive and ESS → evaluate, without leaking tensors', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const seen: StageProgress[] = [];
    const ctx = {
      onProgress: (p: StageProgress) => {
        seen.push(p);
      },
    };
    const s1 = await trainStage1Stage(data, {}, opts, ctx);
    const pr = await trainPriorStage(data, { stage1: s1.checkpoint }, opts, ctx);
    const cr = await calibrateCriticStage(data, { stage1: s1.checkpoint, prior: pr.checkpoint }, opts, ctx);
    const cl = await trainClassifierStage(data, {}, opts, ctx);
    for (const stage of ['stage1', 'prior', 'critic', 'classifier'] as const) {
      const last = seen.filter((p) => p.stage === stage).at(-1);
      assert.ok(last !== undefined, `${stage} reported progress`);
      assert.equal(last.step, last.totalSteps);
    }
    assert.ok(s1.metrics.testMse > 0 && Number.isFinite(s1.metrics.testMse));
    assert.ok(Number.isFinite(pr.metrics.loss));
    assert.ok(cr.metrics.criticRealDistance >= 0 && cr.metrics.criticCorruptedDistance >= 0);
    // The critic's false positives on the real grids (issue 19 item 5): ESS re-masks m(t*+1) of N tokens, t* in 1..T−1.
    const tStar = cr.metrics.criticRealTStar;
    assert.ok(Number.isInteger(tStar) && tStar >= 1 && tStar <= 9, `t* ${tStar}`);
    const lfTokens = (readPipelineCheckpoint(pr.checkpoint, 'prior').meta.shapes as { lfTokens: number })
      .lfTokens;
    assert.equal(cr.metrics.criticFalsePositiveRate, maskedCount(lfTokens, 10, tStar + 1) / lfTokens);
    assert.ok(cr.metrics.criticFlaggedShare >= 0 && cr.metrics.criticFlaggedShare <= 1);
    assert.deepEqual(
      (readPipelineCheckpoint(cr.checkpoint, 'critic').meta.calibration as { falsePositives: unknown })
        .falsePositives,
      {
        remaskedShare: cr.metrics.criticFalsePositiveRate,
        tStar,
        flaggedShare: cr.metrics.criticFlaggedShare,
        tokens: cr.metrics.criticGrids * lfTokens,
      },
    );
    assert.ok(cl.metrics.testAccuracy >= 0 && cl.metrics.testAccuracy <= 1);
    assert.equal(readPipelineCheckpoint(cr.checkpoint, 'critic').info.dataset, 'ItalyPowerDemand');
    assert.throws(() => readPipelineCheckpoint(cr.checkpoint, 'prior'), /expected a prior checkpoint/);

    const model = loadPipelineModel({
      stage1: s1.checkpoint,
      prior: pr.checkpoint,
      critic: cr.checkpoint,
      classifier: cl.checkpoint,
    });
    assert.equal(model.numClasses, 2);
    assert.deepEqual(model.classNames, data.classNames);
    assert.equal(model.length, 24);
    const classes = Int32Array.from({ length: 12 }, (_, i) => i % 2);
    const naive = await model.generate({ method: 'naive', count: 12, classes, seed: 5, scoreNaive: true });
    const ess = await model.generate({ method: 'ess', count: 12, classes, seed: 5 });
    assert.equal(naive.series.length, 12);
    assert.equal(ess.series[0].length, 24);
    // Data units: scaled · std + mean.
    const { mean, std } = model.scaling;
    assert.ok(Math.abs(ess.series[3][5] - (ess.scaled[3][5] * std + mean)) < 1e-4);
    // ESS starts from the naive sample of the same seed: its "before" critic is the naive one.
    assert.deepEqual(ess.critic![0].scores.lf.distancesBefore, naive.critic![0].scores.lf.distancesBefore);
    // The summary: the final tokens' mean code distance (float32, as stored); ESS adds the naive one before it.
    const [naiveSummary, essSummary] = [naive.critic![0].summary, ess.critic![0].summary];
    assert.equal(naiveSummary.meanBeforeEss, null);
    assert.equal(naiveSummary.worseUnderEss, null);
    assert.equal(essSummary.meanBeforeEss, naiveSummary.mean);
    assert.equal(essSummary.worseUnderEss, essSummary.mean > naiveSummary.mean);
    // The naive critic is the sampler's one pass (N_lf prior passes per sample, counted), not a second one here.
    const unscored = await model.generate({ method: 'naive', count: 12, classes, seed: 5 });
    const criticTokens = naive.critic![0].scores.lf.before.length;
    assert.equal(naive.priorPasses.lf - unscored.priorPasses.lf, criticTokens * 12);
    assert.equal(unscored.critic, null);
    assert.equal(naive.critic![0].scores.lf.after, null);
    assert.equal(naive.critic![0].scores.hf, null);
    assert.deepEqual(naive.tokens.lf, unscored.tokens.lf);
    const c = ess.critic![7].scores.lf;
    assert.equal(c.rows * c.columns, c.before.length);
    assert.equal(c.remasked!.length, c.before.length);
    assert.ok(ess.tStar !== null && ess.tStar.every((t) => t >= 1 && t <= 9));
    assert.equal(naive.tStar, null);

    const casSteps: [number, number][] = [];
    const metrics = await evaluateGenerated({
      classifier: model.classifier!,
      data,
      generated: ess.scaled,
      labels: classes,
      seed: 0,
      criticDistance: ess.meanCriticDistance!.after,
      onCasProgress: (p) => void casSteps.push([p.step, p.totalSteps]),
    });
    assert.equal(metrics.count, 12);
    // The CAS training reports every 10th step and its last one, so a long evaluation shows it moving.
    const casTotal = casSteps.at(-1)?.[1];
    assert.ok(casTotal !== undefined && casTotal > 0, 'CAS training reported progress');
    assert.equal(casSteps.at(-1)![0], casTotal);
    assert.ok(casSteps.every(([step, total]) => total === casTotal && (step % 10 === 0 || step === total)));
    for (const key of ['fid', 'inceptionScore', 'rocketFid', 'cas'] as const) {
      assert.ok(Number.isFinite(metrics[key]), `${key} finite`);
    }
    model.dispose();
    assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensors leaked');
  });

  test('the same seed gives the same checkpoints and samples; another seed differs', async () => {
    const a = await trainAll(data);
    const b = await trainAll(data);
    for (const key of ['stage1', 'prior', 'critic', 'classifier'] as const) {
      assert.ok(Buffer.from(a[key]!).equals(Buffer.from(b[key]!)), `${key} bytes equal`);
    }
    const c = await trainStage1Stage(data, {}, { ...opts, seed: 4 });
    assert.ok(!Buffer.from(a.stage1).equals(Buffer.from(c.checkpoint)));
    const ma = loadPipelineModel(a);
    const mb = loadPipelineModel(b);
    const x = await ma.generate({ method: 'ess', count: 5, classes: null, seed: 9 });
    const y = await mb.generate({ method: 'ess', count: 5, classes: null, seed: 9 });
    assert.deepEqual(x.series, y.series);
    ma.dispose();
    mb.dispose();
  });

  test('an abort rejects a stage and a generation, bad sampling settings a generation, leaving no tensors', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const controller = new AbortController();
    await assert.rejects(
      trainStage1Stage(data, {}, opts, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.step >= 1) controller.abort();
        },
      }),
    );
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(trainClassifierStage(data, {}, opts, { signal: pre.signal }));
    const ckpt = await trainAll(data);
    const model = loadPipelineModel(ckpt);
    await assert.rejects(
      model.generate({ method: 'ess', count: 4, classes: null, seed: 1, signal: pre.signal }),
    );
    // Bad sampling settings are refused up front instead of sampling with NaN noise or guidance.
    for (const [sampling, message] of [
      [{ guidanceScale: Number.NaN }, /sampling.guidanceScale must be a finite number ≥ 0, got NaN/],
      [{ choiceTemperature: -1 }, /sampling.choiceTemperature must be a finite number ≥ 0, got -1/],
      [{ steps: 0 }, /sampling.steps must be a positive integer, got 0/],
    ] as const) {
      await assert.rejects(model.generate({ method: 'naive', count: 4, classes: null, seed: 1, sampling }), {
        name: 'RangeError',
        message,
      });
    }
    model.dispose();
    assert.equal(tf.memory().numTensors, tensorsBefore);
  });

  test('odd length (L = 23): checkpoints, the loaded model and its samples keep all L steps', async () => {
    const odd = oddLengthData();
    assert.deepEqual([odd.length, odd.outputLength, odd.evalTest.values[0].length], [23, 23, 23]);
    const ckpt = await trainAll(odd);
    for (const stage of ['stage1', 'prior', 'critic', 'classifier'] as const) {
      assert.equal(readPipelineCheckpoint(ckpt[stage]!, stage).info.outputLength, 23, stage);
    }
    const model = loadPipelineModel(ckpt);
    assert.deepEqual([model.length, model.inputLength], [23, 23]);
    const classes = Int32Array.from({ length: 12 }, (_, i) => i % 2);
    for (const method of ['naive', 'ess'] as const) {
      const out = await model.generate({ method, count: 12, classes, seed: 5 });
      assert.ok(out.series.every((s) => s.length === 23) && out.scaled.every((s) => s.length === 23), method);
      if (method === 'ess') {
        const metrics = await evaluateGenerated({
          classifier: model.classifier!,
          data: odd,
          generated: out.scaled,
          labels: classes,
          seed: 0,
        });
        assert.ok(Number.isFinite(metrics.fid) && Number.isFinite(metrics.rocketFid));
      }
    }
    model.dispose();
  });

  test('a checkpoint from before the fix keeps its own outputLength (L − 1) for samples and evaluation', async () => {
    const odd = oddLengthData();
    const legacyData = withOutputLength(odd, 22);
    assert.deepEqual(
      [legacyData.outputLength, legacyData.evalTrain.values[0].length, legacyData.train.length],
      [22, 22, 23],
    );
    const stage1 = (await trainStage1Stage(odd, {}, opts)).checkpoint;
    const prior = (await trainPriorStage(odd, { stage1 }, opts)).checkpoint;
    const classifier = (await trainClassifierStage(legacyData, {}, opts)).checkpoint;
    assert.equal(readPipelineCheckpoint(classifier, 'classifier').info.outputLength, 22);
    // What stage 1 wrote before istft took the length: the same weights, outputLength 2(W − 1) = 22.
    const legacyStage1 = withStoredOutputLength(stage1, 22);
    const model = loadPipelineModel({ stage1: legacyStage1, prior, classifier });
    assert.deepEqual([model.length, model.inputLength], [22, 23]);
    const out = await model.generate({ method: 'naive', count: 12, classes: null, seed: 5 });
    assert.ok(out.series.every((s) => s.length === 22) && out.scaled.every((s) => s.length === 22));
    const metrics = await evaluateGenerated({
      classifier: model.classifier!,
      data: withOutputLength(odd, model.length),
      generated: out.scaled,
      seed: 0,
    });
    assert.ok(Number.isFinite(metrics.fid));
    model.dispose();
    assert.throws(() => withOutputLength(odd, 21), /does not fit/);
    assert.throws(() => withOutputLength(data, 23), /does not fit/);
  });

  test('bad dataset names are DatasetNameError', () => {
    assert.throws(() => loadDatasetByName('synthetic:nope'), DatasetNameError);
    assert.throws(() => loadDatasetByName('NoSuchDataset'), DatasetNameError);
    assert.throws(() => loadDatasetByName('../etc'), DatasetNameError);
  });
});
