import * as tf from '@tensorflow/tfjs-core';
import { type SeededRng } from '@maskgen/tensor';
import {
  FCN_PROFILES,
  FcnClassifier,
  createRocket,
  featureStats,
  frechetDistance,
  frechetDistanceFromStats,
  rocketFeatures,
  type FeatureMatrix,
} from '@maskgen/metrics';
import { measure } from '../measure';
import { type BenchResult, type BenchSuite } from '../types';

function gaussianFeatures(rows: number, dim: number, rng: SeededRng, shift = 0): FeatureMatrix {
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() + shift * (i % 2);
  return { rows, dim, data };
}

function randomSeries(count: number, length: number, rng: SeededRng): Float32Array[] {
  return Array.from({ length: count }, () => Float32Array.from({ length }, () => rng.normal()));
}

/** `measure` times tensor-returning bodies; the host-side metrics return one scalar so the harness can read it. */
function time(caseName: string, units: number, unit: string, fn: () => number, budgetMs = 3000): BenchResult {
  const timing = measure(() => tf.scalar(fn()), { warmup: 1, minIterations: 3, maxIterations: 10, budgetMs });
  return { case: caseName, value: units / (timing.medianMs / 1000), unit, ...timing };
}

export const metricsSuite: BenchSuite = {
  name: 'metrics',
  description:
    'FID (float64 stats + ml-matrix eigensolver) per feature dim and set size; ROCKET and FCN feature extraction, series/s',
  // Host-side float64 code except the FCN case; one backend is enough.
  backends: ['wasm'],
  run({ rng }) {
    const results: BenchResult[] = [];
    for (const dim of [64, 128]) {
      for (const rows of [1000, 10000]) {
        const a = gaussianFeatures(rows, dim, rng.fork(`a-${dim}-${rows}`));
        const b = gaussianFeatures(rows, dim, rng.fork(`b-${dim}-${rows}`), 0.5);
        // Two sets of `rows` each: stats of both + the square-root trace.
        results.push(
          time(`FID d=${dim} N=${rows} (2 sets)`, 1, 'FID/s', () => frechetDistance(a, b).distance),
        );
        if (rows === 1000) {
          const sa = featureStats(a);
          const sb = featureStats(b);
          results.push(
            time(
              `FID d=${dim} from cached stats`,
              1,
              'FID/s',
              () => frechetDistanceFromStats(sa, sb).distance,
            ),
          );
        }
      }
    }
    for (const length of [128, 512]) {
      const series = randomSeries(256, length, rng.fork(`rocket-${length}`));
      const transform = createRocket(length, { seed: 0 });
      results.push(
        time(`ROCKET 64 kernels L=${length}, 256 series`, series.length, 'series/s', () => {
          return rocketFeatures(transform, series).data[0];
        }),
      );
    }
    const length = 128;
    const series = randomSeries(256, length, rng.fork('fcn'));
    for (const profile of ['cpu', 'spec'] as const) {
      const model = new FcnClassifier(
        FCN_PROFILES[profile],
        { length, classes: 3 },
        rng.fork(`fcn-${profile}`),
      );
      try {
        results.push(
          time(`FCN ${profile} features L=${length}, 256 series`, series.length, 'series/s', () => {
            return model.featuresOf(series).data[0];
          }),
        );
      } finally {
        model.dispose();
      }
    }
    return Promise.resolve(results);
  },
};
