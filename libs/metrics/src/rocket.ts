import { SeededRng } from '@maskgen/tensor';
import { type FeatureMatrix } from './frechet';

/**
 * Training-free features: ROCKET random convolution kernels (Dempster, Petitjean & Webb 2020). Each kernel
 * gives two features, the proportion of positive values (PPV) and the max of its output.
 */
export interface RocketKernel {
  /** Mean-centred N(0, 1) weights; length 7, 9 or 11. */
  readonly weights: Float64Array;
  /** U(−1, 1). */
  readonly bias: number;
  /** floor(2^U(0, log2((L − 1)/(len − 1)))). */
  readonly dilation: number;
  /** 0 or (len − 1)·dilation/2 (floored), each with probability ½. */
  readonly padding: number;
}

export interface RocketTransform {
  readonly length: number;
  readonly kernels: readonly RocketKernel[];
  /** 2 × kernels. */
  readonly dim: number;
}

const KERNEL_LENGTHS = [7, 9, 11] as const;

/** Default 64 kernels → 128 features, the FCN's feature width (keeps 128×128 covariances). */
export function createRocket(
  length: number,
  options: { kernels?: number; seed?: string | number } = {},
): RocketTransform {
  const count = options.kernels ?? 64;
  if (!Number.isInteger(length) || length < 2)
    throw new RangeError(`series length must be ≥ 2, got ${length}`);
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`kernel count must be positive, got ${count}`);
  const rng = new SeededRng(options.seed ?? 0).fork('rocket');
  const kernels: RocketKernel[] = [];
  for (let k = 0; k < count; k++) {
    const size = rng.choice(KERNEL_LENGTHS);
    const weights = new Float64Array(size);
    for (let i = 0; i < size; i++) weights[i] = rng.normal();
    const mean = weights.reduce((a, b) => a + b, 0) / size;
    for (let i = 0; i < size; i++) weights[i] -= mean;
    const bias = rng.uniform(-1, 1);
    const exponent = Math.max(0, Math.log2((length - 1) / (size - 1)));
    const dilation = Math.max(1, Math.floor(2 ** rng.uniform(0, exponent)));
    const padding = rng.next() < 0.5 ? Math.floor(((size - 1) * dilation) / 2) : 0;
    kernels.push({ weights, bias, dilation, padding });
  }
  return { length, kernels, dim: 2 * count };
}

/** [series, 2·kernels] features (PPV, max per kernel), float64. */
export function rocketFeatures(transform: RocketTransform, series: readonly Float32Array[]): FeatureMatrix {
  const { length, kernels, dim } = transform;
  const data = new Float64Array(series.length * dim);
  series.forEach((x, r) => {
    if (x.length !== length) throw new RangeError(`series ${r} has length ${x.length}, expected ${length}`);
    kernels.forEach((kernel, k) => {
      const { weights, bias, dilation, padding } = kernel;
      const size = weights.length;
      const outLength = length + 2 * padding - (size - 1) * dilation;
      let positive = 0;
      let max = -Infinity;
      for (let t = 0; t < outLength; t++) {
        let sum = bias;
        let index = t - padding;
        for (let j = 0; j < size; j++, index += dilation) {
          if (index >= 0 && index < length) sum += weights[j] * x[index];
        }
        if (sum > 0) positive++;
        if (sum > max) max = sum;
      }
      const o = r * dim + 2 * k;
      // A kernel longer than a padded series has no output; report 0 rather than −∞.
      data[o] = outLength > 0 ? positive / outLength : 0;
      data[o + 1] = outLength > 0 ? max : 0;
    });
  });
  return { rows: series.length, dim, data };
}
