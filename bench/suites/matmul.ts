import * as tf from '@tensorflow/tfjs-core';
import { randomNormalTensor } from '@maskgen/tensor';
import { measure } from '../measure';
import { type BenchSuite } from '../types';

// The cpu backend runs at about 1 GFLOP/s (tfjs.md §2), so n=1024 would take ~3 s per iteration there.
const SIZES: Record<string, readonly number[]> = { cpu: [256, 512] };
const DEFAULT_SIZES = [256, 512, 1024];

export const matmulSuite: BenchSuite = {
  name: 'matmul',
  description: 'square float32 matMul, GFLOP/s (2n³ per product)',
  run({ backend, rng }) {
    const results = (SIZES[backend.backend] ?? DEFAULT_SIZES).map((n) => {
      const a = randomNormalTensor([n, n], rng);
      const b = randomNormalTensor([n, n], rng);
      try {
        const timing = measure(() => tf.matMul(a, b), { budgetMs: 3000, maxIterations: 15 });
        return {
          case: `n=${n}`,
          value: (2 * n ** 3) / (timing.medianMs * 1e6),
          unit: 'GFLOP/s',
          ...timing,
        };
      } finally {
        tf.dispose([a, b]);
      }
    });
    return Promise.resolve(results);
  },
};
