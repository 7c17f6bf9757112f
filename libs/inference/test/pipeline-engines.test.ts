import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createInferenceEngine, type InferenceEngine } from '@maskgen/inference';
import {
  type PipelineCheckpoints,
  calibrateCriticStage,
  evaluateGenerated,
  loadDatasetByName,
  loadPipelineModel,
  prepareDataset,
  trainClassifierStage,
  trainPriorStage,
  trainStage1Stage,
} from '@maskgen/pipeline';
import { initTensorBackend } from '@maskgen/tensor';

// A trained (tiny-profile) model through the worker's own call, once per engine: what a run samples and how it is
// judged must not depend on which engine the worker has.
const data = () => prepareDataset(loadDatasetByName('ItalyPowerDemand'));
let checkpoints: PipelineCheckpoints;
let ort: InferenceEngine;

before(async () => {
  await initTensorBackend('wasm');
  const d = data();
  const opts = { profile: 'tiny', seed: 4 } as const;
  const stage1 = (await trainStage1Stage(d, {}, opts, {})).checkpoint;
  const prior = (await trainPriorStage(d, { stage1 }, opts, {})).checkpoint;
  const critic = (await calibrateCriticStage(d, { stage1, prior }, opts, {})).checkpoint;
  const classifier = (await trainClassifierStage(d, {}, opts, {})).checkpoint;
  checkpoints = { stage1, prior, critic, classifier };
  ort = createInferenceEngine({ preference: 'ort', threads: 2 });
});

after(async () => {
  await ort.close();
});

test('a trained model gives the same tokens and metrics on ONNX Runtime and tfjs (naive and ESS, one seed)', async () => {
  const d = data();
  const onTfjs = loadPipelineModel(checkpoints);
  const onOrt = loadPipelineModel(checkpoints, { engine: ort });
  try {
    const classes = Int32Array.from({ length: 40 }, (_, i) => i % 2);
    for (const method of ['naive', 'ess'] as const) {
      const a = await onTfjs.generate({ method, count: 40, classes, seed: 8, scoreNaive: true });
      const b = await onOrt.generate({ method, count: 40, classes, seed: 8, scoreNaive: true });
      assert.equal(a.inference.engine, 'tfjs');
      assert.equal(b.inference.engine, 'ort');
      const same = (x: Int32Array[], y: Int32Array[]) => {
        let equal = 0;
        let total = 0;
        x.forEach((row, i) => row.forEach((v, j) => ((equal += v === y[i][j] ? 1 : 0), total++)));
        return equal / total;
      };
      assert.ok(same(a.tokens.lf, b.tokens.lf) >= 0.99, `${method} LF ${same(a.tokens.lf, b.tokens.lf)}`);
      assert.ok(same(a.tokens.hf, b.tokens.hf) >= 0.99, `${method} HF ${same(a.tokens.hf, b.tokens.hf)}`);
      // Judged by the same FCN, once through tfjs and once through its ONNX export.
      const judge = async (featurizer: Awaited<ReturnType<typeof onOrt.featurizer>>, generated: Float32Array[]) =>
        evaluateGenerated({ classifier: onTfjs.classifier!, featurizer: featurizer ?? undefined, data: d, generated, seed: 0 }); // prettier-ignore
      const fidA = (await judge(await onTfjs.featurizer(), a.scaled)).fid;
      const fidB = (await judge(await onOrt.featurizer(), b.scaled)).fid;
      assert.ok(
        Math.abs(fidA - fidB) <= 0.05 * Math.max(fidA, fidB) + 1e-3,
        `${method} FID tfjs ${fidA} vs ort ${fidB}`,
      );
    }
  } finally {
    onTfjs.dispose();
    onOrt.dispose();
  }
});
