import * as path from 'node:path';
import { createInferenceEngine } from '@maskgen/inference';
import { TimeVQVAE, decodeSamples } from '@maskgen/model';
import { type PipelineModel, loadDatasetByName, loadPipelineModel, prepareDataset } from '@maskgen/pipeline';
import { ensurePipeline } from '../../scripts/report/run';
import { type BenchResult, type BenchSuite } from '../types';

/**
 * Issue 10's end-to-end figure: a trained `cpu`-profile GunPoint model (trained once and cached in bench/.cache,
 * ~15 min on one core), 1000 unconditional ESS samples in the worker's chunks of 256, on ONNX Runtime and on tfjs,
 * in one bench run. It times the worker's own call (`PipelineModel.generate`, the code a shard runs); HTTP and
 * storage add the same few seconds to both engines and are left out so the ratio is the engines'.
 */
const SAMPLES = 1000;
const CHUNK = 256;
export const MODEL_CACHE_DIR = path.join(__dirname, '..', '.cache');

let summary = '';

async function essSeconds(model: PipelineModel): Promise<number> {
  const start = performance.now();
  for (let done = 0, chunk = 0; done < SAMPLES; done += CHUNK, chunk++) {
    await model.generate({
      method: 'ess',
      count: Math.min(CHUNK, SAMPLES - done),
      classes: null,
      seed: 7 + chunk,
    });
  }
  return (performance.now() - start) / 1000;
}

export const modelSamplingSuite: BenchSuite = {
  name: 'model-sampling',
  description: `trained cpu-profile GunPoint model: ${SAMPLES} ESS samples on ort vs tfjs (trains once into bench/.cache)`,
  backends: ['wasm'],
  summary: () => summary,
  async run() {
    const data = prepareDataset(loadDatasetByName('GunPoint', { seed: 1 }));
    const { checkpoints } = await ensurePipeline(data, {
      profile: 'cpu',
      seed: 1,
      workDir: MODEL_CACHE_DIR,
      log: (line) => console.log(line),
    });
    const results: BenchResult[] = [];
    const seconds: Record<string, number> = {};
    for (const name of ['ort', 'tfjs'] as const) {
      const engine = createInferenceEngine({ preference: name });
      const model = loadPipelineModel(checkpoints, { engine });
      try {
        seconds[name] = await essSeconds(model);
      } finally {
        model.dispose();
        await engine.close();
      }
      results.push({
        case: `${name} (${engine.info.threads} threads): ${SAMPLES} ESS samples, chunks of ${CHUNK}`,
        value: SAMPLES / seconds[name],
        unit: 'samples/s',
        medianMs: seconds[name] * 1000,
        minMs: seconds[name] * 1000,
        iterations: 1,
      });
    }
    // The stage-1 decoder stays on tfjs: its share of a 256-sample chunk says whether exporting it would pay.
    const stage1 = TimeVQVAE.deserialize(checkpoints.stage1);
    try {
      const grid = (n: number) => ({ batch: CHUNK, tokens: n, maskId: 0, steps: 0, ids: Int32Array.from({ length: CHUNK * n }, (_, i) => (i * 7) % 11), fixedAt: new Int32Array(0), probability: new Float32Array(0), confidence: new Float64Array(0) }); // prettier-ignore
      const start = performance.now();
      await decodeSamples(stage1, {
        lf: grid(stage1.tokenShape('lf').tokens),
        hf: grid(stage1.tokenShape('hf').tokens),
      });
      const ms = performance.now() - start;
      results.push({
        case: `tfjs stage-1 decode of ${CHUNK} samples`,
        value: ms,
        unit: 'ms',
        medianMs: ms,
        minMs: ms,
        iterations: 1,
      });
    } finally {
      stage1.dispose();
    }
    const ratio = seconds.tfjs / seconds.ort;
    results.push({
      case: 'tfjs/ort wall time',
      value: ratio,
      unit: 'x',
      medianMs: 0,
      minMs: 0,
      iterations: 1,
    });
    summary = `model-sampling: ${SAMPLES} ESS samples ort ${seconds.ort.toFixed(1)} s, tfjs ${seconds.tfjs.toFixed(1)} s, ${ratio.toFixed(1)}x (target ≥ 4x)`;
    return results;
  },
};
