import * as tf from '@tensorflow/tfjs-core';
import { createInferenceEngine, type PreparedPrior } from '@maskgen/inference';
import { PRIOR_PAPER, TimeVqPrior, generateSamples, type SamplerMethod } from '@maskgen/model';
import { SeededRng } from '@maskgen/tensor';
import { GUNPOINT_PRIOR_SHAPES, randomGunPointCodebooks } from '../gunpoint-prior';
import { type BenchResult, type BenchSuite } from '../types';

/**
 * Issue 10's sampling throughput: the paper-sized prior (width 256, 4 layers) with random weights at GunPoint's
 * token grids, unconditional, naive and ESS, on ONNX Runtime (B = 256) and tfjs (a smaller batch: one paper-sized
 * pass of 256 does not fit wasm's heap, and tfjs throughput does not depend on the batch). Random weights make t*
 * arbitrary, so ESS fixes t* = 6, the released code's GunPoint value (243 LF passes per sample before the final
 * critic scoring, which maskgen adds for its reports).
 */
const ORT_BATCH = 256;
const TFJS_BATCH = 32;
const FIXED_T_STAR = 6;

interface Measured {
  readonly seconds: number;
  readonly count: number;
  readonly passes: { lf: number; hf: number };
}

async function sample(
  runner: PreparedPrior,
  codebooks: { lf: tf.Tensor2D; hf: tf.Tensor2D },
  method: SamplerMethod,
  count: number,
  seed: number,
): Promise<Measured> {
  // prettier-ignore
  const start = performance.now();
  const out = await generateSamples(runner, codebooks, {
    method,
    count,
    classes: null,
    sampling: PRIOR_PAPER.sampling,
    ess: { fixedTStar: FIXED_T_STAR },
    rng: new SeededRng(`sampling-${seed}`),
  });
  return { seconds: (performance.now() - start) / 1000, count, passes: out.priorPasses };
}

async function onePass(runner: PreparedPrior, batch: number): Promise<number> {
  const { hfTokens: n, lfTokens: nl } = GUNPOINT_PRIOR_SHAPES;
  const input = {
    batch,
    tokens: new Int32Array(batch * n).fill(3),
    classes: new Int32Array(batch).fill(runner.hf.noClass),
    lfTokens: new Int32Array(batch * nl).fill(1),
  };
  await runner.hf.logitsOf(input); // warm-up (ORT plans its memory on the first run)
  const start = performance.now();
  await runner.hf.logitsOf(input);
  return performance.now() - start;
}

let summary = '';

export const samplingSuite: BenchSuite = {
  name: 'sampling',
  description: 'paper-sized prior, GunPoint grids: naive/ESS samples/s on ort (B=256) vs tfjs, one HF pass',
  backends: ['wasm'],
  summary: () => summary,
  async run({ rng }) {
    const codebooks = randomGunPointCodebooks(rng);
    const prior = new TimeVqPrior(GUNPOINT_PRIOR_SHAPES, PRIOR_PAPER.network, codebooks, rng.fork('prior'));
    const results: BenchResult[] = [];
    const rate: Record<string, number> = {};
    try {
      for (const engineName of ['ort', 'tfjs'] as const) {
        const engine = createInferenceEngine({ preference: engineName });
        const runner = await engine.preparePrior(prior);
        try {
          const batch = engineName === 'ort' ? ORT_BATCH : TFJS_BATCH;
          const passBatch = engineName === 'ort' ? ORT_BATCH : 64;
          const passMs = await onePass(runner, passBatch);
          results.push({
            case: `${engineName} (${engine.info.threads} threads): one HF prior pass, B=${passBatch}`,
            value: passMs,
            unit: 'ms',
            medianMs: passMs,
            minMs: passMs,
            iterations: 1,
          });
          for (const method of ['naive', 'ess'] as const) {
            const m = await sample(runner, codebooks, method, batch, 1);
            const perSample = `${(m.passes.lf / m.count).toFixed(0)} LF + ${(m.passes.hf / m.count).toFixed(0)} HF passes/sample`;
            rate[`${engineName}-${method}`] = m.count / m.seconds;
            results.push({
              case: `${engineName} ${method}${method === 'ess' ? ` (t*=${FIXED_T_STAR})` : ''}, B=${batch}, ${perSample}`,
              value: m.count / m.seconds,
              unit: 'samples/s',
              medianMs: m.seconds * 1000,
              minMs: m.seconds * 1000,
              iterations: 1,
            });
          }
        } finally {
          await runner.dispose();
        }
      }
    } finally {
      prior.dispose();
      tf.dispose([codebooks.lf, codebooks.hf]);
    }
    const ratio = Math.min(rate['ort-naive'] / rate['tfjs-naive'], rate['ort-ess'] / rate['tfjs-ess']);
    results.push({ case: 'ort/tfjs (lower of naive and ESS)', value: ratio, unit: 'x', medianMs: 0, minMs: 0, iterations: 1 }); // prettier-ignore
    summary =
      `sampling: naive ${rate['ort-naive'].toFixed(2)}/s, ess ${rate['ort-ess'].toFixed(2)}/s, ort/tfjs ${ratio.toFixed(1)}x` +
      ' (targets: naive ≥ 14/s, ess ≥ 4/s, ≥ 5x; released code 2.75 and 1.13/s)';
    return results;
  },
};
