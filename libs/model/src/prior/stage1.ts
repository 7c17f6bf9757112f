import * as tf from '@tensorflow/tfjs-core';
import { type SeededRng, sampleCategorical } from '@maskgen/tensor';
import { type PriorShapes } from './model';
import { type Branch } from './network';

/**
 * The part of a trained stage 1 (the VQ tokenizer) that stage 2 consumes; `TimeVQVAE` satisfies it as is. Token
 * grids are frequency-major (ess.md §1): position n is frequency row floor(n / W'), time column n mod W'.
 */
export interface Stage1ForPrior {
  readonly shapes: { readonly lf: { readonly tokens: number }; readonly hf: { readonly tokens: number } };
  /** K, the same for both branches (ess.md §6). */
  readonly codebookSize: number;
  /** Quantizer codebook [K, d] of a branch, in code space; owned by stage 1. */
  codebook(band: Branch): tf.Tensor2D;
  /** Scaled series x [B, C, L] → pre-quantisation latents [B, 5, W', d] per branch, inference mode (§4.1 D). */
  latents(x: tf.Tensor3D): { lf: tf.Tensor4D; hf: tf.Tensor4D };
  /** int32 tokens [B, N_lf] and [B, N_hf] → series x̂_l + x̂_h [B, C, L]. */
  decode(tokens: { lf: tf.Tensor2D; hf: tf.Tensor2D }): tf.Tensor3D;
}

/** The prior's shapes for a stage 1 and a class count. */
export function priorShapesFor(stage1: Stage1ForPrior, numClasses: number): PriorShapes {
  const codeDim = stage1.codebook('lf').shape[1];
  return {
    lfTokens: stage1.shapes.lf.tokens,
    hfTokens: stage1.shapes.hf.tokens,
    lfCodebookSize: stage1.codebookSize,
    hfCodebookSize: stage1.codebookSize,
    codeDim,
    numClasses,
  };
}

/**
 * Logits of the stochastic training tokens, −‖z − e_k‖² / τ (ess.md §4.1 R): z [B, N, d], codebook [K, d]
 * → [B, N, K]. Stage 1 is frozen, so these are computed once and sampled afresh for every batch.
 */
export function tokenLogits(z: tf.Tensor3D, codebook: tf.Tensor2D, temperature: number): tf.Tensor3D {
  if (!(temperature > 0)) throw new RangeError(`token temperature must be positive, got ${temperature}`);
  return tf.tidy(() => {
    const [b, n, d] = z.shape;
    const k = codebook.shape[0];
    const flat = tf.reshape(z, [b * n, d]);
    // ‖z‖² − 2 z·e + ‖e‖², with the codebook transposed explicitly (no transposeB, tfjs.md §8).
    const cross = tf.matMul(flat, tf.transpose(codebook, [1, 0])); // [B·N, K]
    const dist = tf.add(
      tf.sub(tf.sum(tf.square(flat), -1, true), tf.mul(cross, 2)),
      tf.reshape(tf.sum(tf.square(codebook), -1), [1, k]),
    );
    return tf.reshape(tf.div(tf.neg(dist), temperature), [b, n, k]);
  });
}

/** One categorical draw per position of logits [B, N, K] → int32 [B, N] (Gumbel-max, bit-stable per rng). */
export function sampleTokens(logits: tf.Tensor3D, rng: SeededRng): tf.Tensor2D {
  return sampleCategorical(logits, rng) as tf.Tensor2D;
}

/** The deterministic tokens stage 1 itself would emit (nearest code): argmax of the logits. */
export function nearestTokens(logits: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => tf.cast<tf.Tensor2D>(tf.argMax(logits, -1), 'int32'));
}

/**
 * Stochastic-token logits of a whole split, `chunk` series at a time: values row-major [M, C, L] (scaled)
 * → [M, N_lf, K] and [M, N_hf, K]. The caller owns the result.
 */
export function splitTokenLogits(
  stage1: Stage1ForPrior,
  values: Float32Array,
  count: number,
  seriesShape: readonly [number, number],
  temperature: number,
  chunk = 64,
): { lf: tf.Tensor3D; hf: tf.Tensor3D } {
  const [channels, length] = seriesShape;
  if (values.length !== count * channels * length) {
    throw new RangeError(
      `expected ${count} series of [${channels}, ${length}] values, got ${values.length} values`,
    );
  }
  const parts: { lf: tf.Tensor3D[]; hf: tf.Tensor3D[] } = { lf: [], hf: [] };
  try {
    for (let start = 0; start < count; start += chunk) {
      const b = Math.min(chunk, count - start);
      tf.tidy(() => {
        const x = tf.tensor3d(values.subarray(start * channels * length, (start + b) * channels * length), [
          b,
          channels,
          length,
        ]);
        const z = stage1.latents(x);
        for (const band of ['lf', 'hf'] as const) {
          const [, rows, cols, d] = z[band].shape;
          const flat = tf.reshape<tf.Rank.R3>(z[band], [b, rows * cols, d]); // frequency-major
          parts[band].push(tf.keep(tokenLogits(flat, stage1.codebook(band), temperature)));
        }
      });
    }
    return tf.tidy(() => ({ lf: tf.concat(parts.lf, 0), hf: tf.concat(parts.hf, 0) }));
  } finally {
    tf.dispose([...parts.lf, ...parts.hf]);
  }
}
