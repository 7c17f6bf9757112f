import { type SeededRng } from '@maskgen/tensor';

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
