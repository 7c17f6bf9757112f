import * as tf from '@tensorflow/tfjs-core';
import { PRIOR_CPU, PRIOR_PAPER, type PriorConfig, TimeVqPrior, naiveDecode } from '@maskgen/model';
import { GUNPOINT_PRIOR_SHAPES, randomGunPointCodebooks } from '../gunpoint-prior';
import { type BenchResult, type BenchSuite } from '../types';

// Sampling speed does not depend on the weights, so they stay random.
const CASES: ReadonlyArray<{ profile: string; config: PriorConfig; batch: number; iterations: number }> = [
  { profile: 'cpu', config: PRIOR_CPU, batch: 1, iterations: 5 },
  { profile: 'cpu', config: PRIOR_CPU, batch: 64, iterations: 2 },
  { profile: 'cpu', config: PRIOR_CPU, batch: 512, iterations: 1 },
  { profile: 'paper', config: PRIOR_PAPER, batch: 1, iterations: 3 },
  { profile: 'paper', config: PRIOR_PAPER, batch: 64, iterations: 1 },
];

export const naiveSuite: BenchSuite = {
  name: 'naive',
  description: 'MaskGIT naive decoding (LF + HF, T=10, guided), GunPoint shapes, samples/s',
  // The cpu backend is 20–40× slower on these products (tfjs.md §2); a 512 batch would take tens of minutes.
  backends: ['wasm', 'node', 'node-gpu'],
  async run({ rng }) {
    const results: BenchResult[] = [];
    for (const { profile, config, batch, iterations } of CASES) {
      const { lf, hf } = randomGunPointCodebooks(rng);
      const prior = new TimeVqPrior(
        GUNPOINT_PRIOR_SHAPES,
        config.network,
        { lf, hf },
        rng.fork(`prior-${profile}`),
      );
      tf.dispose([lf, hf]);
      try {
        const classes = Int32Array.from({ length: batch }, (_, i) => i % GUNPOINT_PRIOR_SHAPES.numClasses);
        const once = async (seed: number): Promise<number> => {
          const start = performance.now();
          await naiveDecode(prior, {
            count: batch,
            classes,
            config: config.sampling,
            rng: rng.fork(`run-${seed}`),
          });
          return performance.now() - start;
        };
        await once(-1); // warm-up: wasm heap growth and kernel set-up
        const times: number[] = [];
        for (let i = 0; i < iterations; i++) times.push(await once(i));
        times.sort((a, b) => a - b);
        const mid = Math.floor(times.length / 2);
        const medianMs = times.length % 2 === 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
        results.push({
          case: `${profile} prior, batch ${batch}`,
          value: (batch * 1000) / medianMs,
          unit: 'samples/s',
          medianMs,
          minMs: times[0],
          iterations,
        });
      } finally {
        prior.dispose();
      }
    }
    return results;
  },
};
