import { type SeededRng } from '@maskgen/tensor';

export interface InceptionScoreOptions {
  /** Equal parts; the remainder after n / splits is dropped (ess.md §7). Default 10. */
  readonly splits?: number;
  /** Shuffles the rows before splitting when given; otherwise rows are split in order. */
  readonly rng?: SeededRng;
  /** Added inside both logarithms. Default 1e-16. */
  readonly epsilon?: number;
}

export interface InceptionScoreResult {
  readonly mean: number;
  /** Population standard deviation over the splits (numpy's default). */
  readonly std: number;
  readonly scores: number[];
}

/**
 * IS = exp(E_x KL(p(y|x) ‖ p(y))) per split, p(y) the split's mean prediction; `probs` is row-major
 * [rows, classes] of class probabilities (each row sums to 1).
 */
export function inceptionScore(
  probs: Float32Array | Float64Array,
  rows: number,
  classes: number,
  options: InceptionScoreOptions = {},
): InceptionScoreResult {
  const { splits = 10, epsilon = 1e-16 } = options;
  if (probs.length !== rows * classes)
    throw new RangeError(`${probs.length} values for [${rows}, ${classes}]`);
  if (!Number.isInteger(splits) || splits < 1)
    throw new RangeError(`splits must be a positive integer, got ${splits}`);
  const part = Math.floor(rows / splits);
  if (part < 1) throw new RangeError(`${rows} rows cannot be split into ${splits} parts`);
  const order = Array.from({ length: rows }, (_, i) => i);
  const shuffled = options.rng ? options.rng.shuffle(order) : order;
  const scores: number[] = [];
  const marginal = new Float64Array(classes);
  for (let s = 0; s < splits; s++) {
    const members = shuffled.slice(s * part, (s + 1) * part);
    marginal.fill(0);
    for (const r of members) for (let k = 0; k < classes; k++) marginal[k] += probs[r * classes + k];
    for (let k = 0; k < classes; k++) marginal[k] /= part;
    let klSum = 0;
    for (const r of members) {
      for (let k = 0; k < classes; k++) {
        const p = probs[r * classes + k];
        klSum += p * (Math.log(p + epsilon) - Math.log(marginal[k] + epsilon));
      }
    }
    scores.push(Math.exp(klSum / part));
  }
  const mean = scores.reduce((a, b) => a + b, 0) / splits;
  const std = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / splits);
  return { mean, std, scores };
}
