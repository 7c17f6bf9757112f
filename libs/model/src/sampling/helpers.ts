import * as tf from '@tensorflow/tfjs-core';
import { type SeededRng } from '@maskgen/tensor';
import { type BranchPrior } from '../prior/network';

/**
 * Shared sampling helpers of ess.md §5. Scores, noise and masks live in float64 host arrays so that every
 * backend makes the same choices; only the prior's logits come from tensors.
 */

/**
 * bottomK: 1 at the k lowest scores of each row, ties broken by the lower index (stable).
 * score [B, N] row-major → Uint8Array [B, N].
 */
export function bottomK(score: Float64Array, rows: number, cols: number, k: number): Uint8Array {
  if (!Number.isInteger(k) || k < 0 || k > cols) throw new RangeError(`bottomK: k = ${k} outside 0..${cols}`);
  if (score.length !== rows * cols)
    throw new RangeError(`bottomK: ${score.length} scores for [${rows}, ${cols}]`);
  const out = new Uint8Array(rows * cols);
  if (k === 0) return out;
  const order = new Int32Array(cols);
  for (let b = 0; b < rows; b++) {
    const base = b * cols;
    for (let n = 0; n < cols; n++) order[n] = n;
    // NaN compares as +∞ here, so a broken score never wins a mask slot over a finite one.
    const key = (n: number): number => {
      const v = score[base + n];
      return Number.isNaN(v) ? Infinity : v;
    };
    order.sort((x, y) => key(x) - key(y) || x - y);
    for (let i = 0; i < k; i++) out[base + order[i]] = 1;
  }
  return out;
}

/** One standard Gumbel draw −ln(−ln u), u ~ U(0, 1) clamped to ≥ 1e-20 (ess.md §5). */
export function gumbel(rng: SeededRng): number {
  return -Math.log(-Math.log(Math.max(rng.next(), 1e-20)));
}

/** The class input of a sampling call: one class id per sample, or null for unconditional sampling. */
export type ClassInput = Int32Array | null;

/** Class ids as a tensor [B], with `null` mapped to the prior's "no class" row. */
function classTensor(prior: BranchPrior, classes: ClassInput, batch: number): tf.Tensor1D {
  if (classes === null) return tf.fill([batch], prior.noClass, 'int32');
  if (classes.length !== batch) throw new RangeError(`${classes.length} class ids for a batch of ${batch}`);
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c > prior.noClass) {
      throw new RangeError(`class id ${c} outside 0..${prior.noClass} (${prior.noClass} = no class)`);
    }
  }
  return tf.tensor1d(classes, 'int32');
}

/** prior(s, cls) without guidance: tokens int32 [B, N] (+ lfTokens [B, N_lf] for HF) → logits [B, N, K]. */
export function conditionalLogits(
  prior: BranchPrior,
  tokens: tf.Tensor2D,
  classes: ClassInput,
  lfTokens?: tf.Tensor2D,
): tf.Tensor3D {
  return tf.tidy(() => prior.logits(tokens, classTensor(prior, classes, tokens.shape[0]), lfTokens));
}

/**
 * guided(prior, s, cls, w) of ess.md §5: prior(s, none) when cls is none, else
 * prior(s, none) + w·(prior(s, cls) − prior(s, none)). Both passes run as one batch of 2B.
 */
export function guidedLogits(
  prior: BranchPrior,
  tokens: tf.Tensor2D,
  classes: ClassInput,
  scale: number,
  lfTokens?: tf.Tensor2D,
): tf.Tensor3D {
  if (classes === null) return conditionalLogits(prior, tokens, null, lfTokens);
  return tf.tidy(() => {
    const b = tokens.shape[0];
    const both = prior.logits(
      tf.concat([tokens, tokens], 0),
      tf.concat([classTensor(prior, null, b), classTensor(prior, classes, b)], 0),
      lfTokens === undefined ? undefined : tf.concat([lfTokens, lfTokens], 0),
    ); // [2B, N, K]
    const [uncond, cond] = tf.split(both, 2, 0);
    return tf.add<tf.Tensor3D>(uncond, tf.mul(tf.sub(cond, uncond), scale));
  });
}
