import * as tf from '@tensorflow/tfjs-core';
import { PRIOR_CPU, TimeVqPrior, generateSamples, type SamplerMethod } from '@maskgen/model';
import { GUNPOINT_PRIOR_SHAPES, randomGunPointCodebooks } from '../gunpoint-prior';
import { type BenchResult, type BenchSuite } from '../types';

// The weights stay random, so t* is whatever reverse sampling finds on them; it is printed in the case name
// because the ESS cost depends on it (§5.5).
const BATCH = 16;
const ITERATIONS = 2;

export const essSuite: BenchSuite = {
  name: 'ess',
  description:
    'ESS vs naive sampling (cpu prior, GunPoint shapes, same batch): samples/s, cost ratio, prior passes',
  backends: ['wasm', 'node', 'node-gpu'],
  async run({ rng }) {
    const { lf, hf } = randomGunPointCodebooks(rng);
    const prior = new TimeVqPrior(GUNPOINT_PRIOR_SHAPES, PRIOR_CPU.network, { lf, hf }, rng.fork('prior'));
    const classes = Int32Array.from({ length: BATCH }, (_, i) => i % GUNPOINT_PRIOR_SHAPES.numClasses);
    const results: BenchResult[] = [];
    try {
      const measure = async (method: SamplerMethod) => {
        const once = async (seed: number) => {
          const start = performance.now();
          const out = await generateSamples(
            prior,
            { lf, hf },
            {
              method,
              count: BATCH,
              classes,
              sampling: PRIOR_CPU.sampling,
              rng: rng.fork(`run-${seed}`),
            },
          );
          return { ms: performance.now() - start, out };
        };
        await once(-1); // warm-up
        const runs = [];
        for (let i = 0; i < ITERATIONS; i++) runs.push(await once(i));
        const times = runs.map((r) => r.ms).sort((a, b) => a - b);
        const medianMs = times.length % 2 === 1 ? times[(times.length - 1) / 2] : (times[0] + times[1]) / 2;
        return { medianMs, minMs: times[0], out: runs[0].out };
      };
      const naive = await measure('naive');
      const ess = await measure('ess');
      const tStar = ess.out.ess?.lf?.tStar ?? -1;
      const row = (name: string, value: number, unit: string, m = ess): BenchResult => ({
        case: name,
        value,
        unit,
        medianMs: m.medianMs,
        minMs: m.minMs,
        iterations: ITERATIONS,
      });
      results.push(row(`naive, batch ${BATCH}`, (BATCH * 1000) / naive.medianMs, 'samples/s', naive));
      results.push(row(`ess (t*=${tStar}), batch ${BATCH}`, (BATCH * 1000) / ess.medianMs, 'samples/s'));
      results.push(row(`ess/naive wall time (t*=${tStar})`, ess.medianMs / naive.medianMs, 'x'));
      const lfRatio = ess.out.priorPasses.lf / naive.out.priorPasses.lf;
      results.push(row(`ess/naive LF prior passes (t*=${tStar})`, lfRatio, 'x'));
      const all = (p: { lf: number; hf: number }) => p.lf + p.hf;
      results.push(
        row(
          `ess/naive LF+HF prior passes (t*=${tStar})`,
          all(ess.out.priorPasses) / all(naive.out.priorPasses),
          'x',
        ),
      );
    } finally {
      prior.dispose();
      tf.dispose([lf, hf]);
    }
    return results;
  },
};
