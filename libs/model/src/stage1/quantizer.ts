import * as tf from '@tensorflow/tfjs-core';
import { randomNormalTensor, sampleCategorical, type SeededRng } from '@maskgen/tensor';
import { type ForwardMode, type VariableStore, stopGradient } from '../training';

/**
 * EMA vector quantiser (ess.md §3.4). The codebook is a buffer, never trained by gradient: after each training
 * step cnt ← γ·cnt + (1−γ)·counts and sum ← γ·sum + (1−γ)·Σz, and code = sum / laplace-smoothed cnt.
 */

const LAPLACE_EPSILON = 1e-5;

/**
 * float32 one-hot rows [M, K]. tf.oneHot's dtype argument is not honoured by the wasm kernel (it writes int32 bits
 * into a float32 tensor), so build it as int32 and cast.
 */
export function oneHotFloat(ids: tf.Tensor, depth: number): tf.Tensor2D {
  return tf.tidy(() => {
    const flat = tf.cast<tf.Tensor1D>(tf.reshape(ids, [-1]), 'int32');
    return tf.cast(tf.oneHot(flat, depth), 'float32') as tf.Tensor2D;
  });
}

export interface QuantizerParams {
  readonly codebook: tf.Variable; // [K, d]
  readonly emaCount: tf.Variable; // [K]
  readonly emaSum: tf.Variable; // [K, d]
}

/** Standard-normal codebook; the EMA sum starts equal to it and the counts at 0, as in the reference. */
export function createQuantizer(
  store: VariableStore,
  name: string,
  codebookSize: number,
  dim: number,
  rng: SeededRng,
): QuantizerParams {
  const init = randomNormalTensor([codebookSize, dim], rng.fork(name));
  const params = {
    codebook: store.buffer(`${name}/codebook`, tf.clone(init)),
    emaCount: store.buffer(`${name}/ema_count`, tf.zeros([codebookSize])),
    emaSum: store.buffer(`${name}/ema_sum`, tf.clone(init)),
  };
  init.dispose();
  return params;
}

/** Squared distances ‖z − e_k‖²: z [M, d], codebook [K, d] → [M, K]. */
export function codeDistances(z: tf.Tensor2D, codebook: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const zz = tf.sum(tf.square(z), 1, true); // [M, 1]
    const ee = tf.reshape(tf.sum(tf.square(codebook), 1), [1, -1]); // [1, K]
    // Explicit transpose: matMul(…, transposeB) is several times slower on wasm.
    const cross = tf.matMul(z, tf.transpose(codebook)); // [M, K]
    return tf.add(tf.sub(zz, tf.mul(cross, 2)), ee);
  });
}

export interface QuantizeResult {
  /** Straight-through quantised latents [B, H, W', d]: forward = codes, gradient = identity to z. */
  readonly zq: tf.Tensor4D;
  /** Nearest code ids, frequency-major [B, H·W'] (n = h·W' + w). */
  readonly indices: tf.Tensor2D;
  /** MSE(z, stopgrad(code)) (unweighted). */
  readonly commitment: tf.Scalar;
  /** Assignment counts per code in this batch [K]. */
  readonly counts: tf.Tensor1D;
}

/**
 * Quantises z [B, H, W', d]. In training mode with an update list, queues the EMA codebook update computed from
 * this batch; it lands after the optimiser step, so this step's loss uses the codebook it started with.
 */
export function quantize(
  z: tf.Tensor4D,
  p: QuantizerParams,
  decay: number,
  mode: ForwardMode,
): QuantizeResult {
  return tf.tidy(() => {
    const [batch, h, w, d] = z.shape;
    const k = p.codebook.shape[0];
    const flat = tf.reshape(z, [batch * h * w, d]); // [M, d]
    const ids = tf.argMin(codeDistances(stopGradient(flat) as tf.Tensor2D, p.codebook as tf.Tensor2D), 1);
    const onehot = oneHotFloat(ids, k); // [M, K]
    // One-hot · codebook instead of gather: gather has no gradient kernel on wasm, and this is as cheap at K = 32.
    const codes = tf.matMul(onehot, p.codebook); // [M, d]
    const commitment = tf.mean(tf.square(tf.sub(flat, codes)));
    const zq = tf.reshape(tf.add(flat, stopGradient(tf.sub(codes, flat))), [batch, h, w, d]);
    const counts = tf.sum(onehot, 0);
    if (mode.training && mode.updates) {
      // The z fed to the EMA never reaches the loss, so these ops are pruned from the gradient.
      let sums = tf.matMul(tf.transpose(onehot), flat); // [K, d]
      let batchCounts: tf.Tensor = counts;
      if (mode.reduce) {
        // Data-parallel: the EMA takes the whole batch's counts and sums, so every replica's codebook stays equal.
        const local = tf.concat([counts, tf.reshape(sums, [-1])]);
        const all = Float32Array.from(mode.reduce(local.dataSync()));
        batchCounts = tf.tensor1d(all.subarray(0, k));
        sums = tf.tensor2d(all.subarray(k), [k, d]);
      }
      const nextCount = tf.add(tf.mul(p.emaCount, decay), tf.mul(batchCounts, 1 - decay));
      const nextSum = tf.add(tf.mul(p.emaSum, decay), tf.mul(sums, 1 - decay));
      const total = tf.sum(nextCount);
      const smoothed = tf.mul(
        tf.div(tf.add(nextCount, LAPLACE_EPSILON), tf.add(total, k * LAPLACE_EPSILON)),
        total,
      );
      const nextCodebook = tf.div(nextSum, tf.reshape(smoothed, [k, 1]));
      mode.updates.push(
        { variable: p.emaCount, value: tf.keep(nextCount) },
        { variable: p.emaSum, value: tf.keep(nextSum) },
        { variable: p.codebook, value: tf.keep(nextCodebook) },
      );
    }
    return {
      zq: zq as tf.Tensor4D,
      indices: tf.reshape<tf.Rank.R2>(ids, [batch, h * w]),
      commitment: commitment as tf.Scalar,
      counts: counts as tf.Tensor1D,
    };
  });
}

/** Nearest code ids of z [B, H, W', d] → int32 [B, H·W'], frequency-major. */
export function nearestCodes(z: tf.Tensor4D, codebook: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [batch, h, w, d] = z.shape;
    const ids = tf.argMin(codeDistances(tf.reshape(z, [batch * h * w, d]), codebook), 1);
    return tf.reshape(ids, [batch, h * w]);
  });
}

/**
 * Stochastic tokens (ess.md §4.1): each id drawn from softmax(−‖z − e_k‖²) at temperature 1, via seeded
 * Gumbel-max so the draw is identical on every backend → int32 [B, H·W'].
 */
export function sampleCodes(z: tf.Tensor4D, codebook: tf.Tensor2D, rng: SeededRng): tf.Tensor2D {
  const [batch, h, w, d] = z.shape;
  const logits = tf.tidy(() => tf.neg(codeDistances(tf.reshape(z, [batch * h * w, d]), codebook)));
  try {
    const ids = sampleCategorical(logits, rng);
    try {
      return tf.reshape(ids, [batch, h * w]);
    } finally {
      ids.dispose();
    }
  } finally {
    logits.dispose();
  }
}

/** Code vectors of token ids [B, N] → [B, H, W', d] (one-hot · codebook). */
export function lookupCodes(tokens: tf.Tensor2D, codebook: tf.Tensor2D, rows: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, n] = tokens.shape;
    const [k, d] = codebook.shape;
    if (n % rows !== 0) throw new Error(`${n} tokens do not form ${rows} frequency rows`);
    const vectors = tf.matMul(oneHotFloat(tokens, k), codebook);
    return tf.reshape(vectors, [batch, rows, n / rows, d]);
  });
}

/** Perplexity exp(H) of a count histogram (K means uniform use, 1 means one code). */
export function perplexity(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total === 0) return 0;
  let entropy = 0;
  for (let i = 0; i < counts.length; i++) {
    const p = counts[i] / total;
    if (p > 0) entropy -= p * Math.log(p);
  }
  return Math.exp(entropy);
}
