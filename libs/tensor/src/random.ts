import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';

/** Largest seed handed to tfjs ops; kept below 2^31 so it survives any int32 round trip. */
const MAX_TENSOR_SEED = 0x7fffffff;

/**
 * The one source of randomness: a deterministic alea stream. `fork(label)` derives an independent stream from
 * this stream's key and the label only, so a fork does not depend on how many numbers were drawn before it,
 * and adding a draw in one component does not shift another component's numbers.
 */
export class SeededRng {
  private readonly prng: seedrandom.PRNG;

  constructor(readonly key: string | number) {
    this.prng = seedrandom.alea(String(key));
  }

  /** The same label always yields the same stream; use distinct labels for distinct consumers. */
  fork(label: string): SeededRng {
    // JSON quoting keeps fork('a').fork('b') distinct from fork('a/b').
    return new SeededRng(`${String(this.key)}/${JSON.stringify(label)}`);
  }

  /** Uniform double in [0, 1) with 53 bits of randomness. */
  next(): number {
    return this.prng.double();
  }

  /** Uniform in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /** Normal via Box–Muller (one draw per call, so the stream position is easy to reason about). */
  normal(mean = 0, std = 1): number {
    const u1 = 1 - this.next(); // (0, 1], keeps log finite
    const u2 = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Integer uniform in [low, high). */
  int(low: number, high: number): number {
    if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
      throw new Error(`int(low, high) needs integers with low < high, got ${low}, ${high}`);
    }
    return low + Math.floor(this.next() * (high - low));
  }

  /** A fresh integer seed for a tfjs op or a child generator. */
  tensorSeed(): number {
    return this.int(0, MAX_TENSOR_SEED);
  }

  /** Fisher–Yates; returns a new array. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('choice() from an empty array');
    return items[this.int(0, items.length)];
  }
}

/** Uniform [min, max) tensor, e.g. masking draws. */
export function randomUniformTensor(
  shape: number[],
  rng: SeededRng,
  min = 0,
  max = 1,
  dtype: 'float32' | 'int32' = 'float32',
): tf.Tensor {
  return tf.randomUniform(shape, min, max, dtype, rng.tensorSeed());
}

export function randomNormalTensor(shape: number[], rng: SeededRng, mean = 0, std = 1): tf.Tensor {
  return tf.randomNormal(shape, mean, std, 'float32', rng.tensorSeed());
}

/** Normal truncated at two standard deviations (tfjs semantics), the usual transformer init. */
export function truncatedNormalTensor(shape: number[], rng: SeededRng, mean = 0, std = 1): tf.Tensor {
  return tf.truncatedNormal(shape, mean, std, 'float32', rng.tensorSeed());
}

/**
 * Fan-in / fan-out as Keras computes them: dense kernels are [in, out]; conv kernels are
 * [...spatial, in, out] with the spatial size multiplied into both fans.
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) return { fanIn: shape[0] ?? 1, fanOut: shape[0] ?? 1 };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2] * receptive, fanOut: shape[shape.length - 1] * receptive };
}

/** Glorot/Xavier uniform: U(−a, a), a = sqrt(6 / (fanIn + fanOut)). */
export function glorotUniformTensor(shape: number[], rng: SeededRng): tf.Tensor {
  const { fanIn, fanOut } = fans(shape);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return tf.randomUniform(shape, -limit, limit, 'float32', rng.tensorSeed());
}

/**
 * Standard Gumbel noise −ln(−ln u), u ~ U(0, 1) clamped to ≥ 1e-20 (ess.md §5). Computed in float64 in JS from a
 * child stream, so the result is identical on every backend.
 */
export function gumbelNoiseTensor(shape: number[], rng: SeededRng): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  const stream = seedrandom.alea(String(rng.tensorSeed()));
  for (let i = 0; i < size; i++) {
    const u = Math.max(stream.double(), 1e-20);
    values[i] = -Math.log(-Math.log(u));
  }
  return tf.tensor(values, shape, 'float32');
}

/**
 * One categorical draw per row of logits [..., K] via the Gumbel-max trick → int32 [...]. Deterministic for a given
 * rng on every backend (unlike tf.multinomial, whose kernels differ per backend), at temperature 1.
 */
export function sampleCategorical(logits: tf.Tensor, rng: SeededRng): tf.Tensor {
  const noise = gumbelNoiseTensor(logits.shape, rng);
  try {
    return tf.tidy(() => tf.argMax(tf.add(logits, noise), -1));
  } finally {
    noise.dispose();
  }
}

/** tf.multinomial with a seed from rng: logits [B, K] → int32 [B, numSamples]. */
export function multinomialTensor(logits: tf.Tensor2D, numSamples: number, rng: SeededRng): tf.Tensor2D {
  return tf.multinomial(logits, numSamples, rng.tensorSeed(), false) as tf.Tensor2D;
}
