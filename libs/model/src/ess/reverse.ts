import { maskedCount } from '../prior/masking';
import { type ClassInput, bottomK } from '../sampling/helpers';
import { type CriticContext, type PassCounter, priorArgmax } from './critic';

/** Result of critical reverse sampling (ess.md §5.3); shared t* for the whole batch (R). */
export interface ReverseResult {
  /** t* ∈ [1, T−1]. */
  readonly tStar: number;
  /** s*: s_T with the m(t*+1) lowest-critic positions of each row set to the mask id. */
  readonly ids: Int32Array;
  /** 1 where s* is masked. */
  readonly remasked: Uint8Array;
  /** err per visited t, in visiting order (t = T−1 downwards). */
  readonly errors: readonly { t: number; err: number; movingAverage: number }[];
}

/** The critic's reverse-sampling score ln(c + 1e-5) (temperature 0: no noise). */
export function reverseScore(critic: Float64Array): Float64Array {
  return critic.map((c) => Math.log(c + 1e-5));
}

/**
 * Critical reverse sampling (ess.md §5.3): trace back from t = T−1, comparing the codes of s_T with the prior's
 * argmax on the positions revealed at step t, until the moving average of the error ratios exceeds θ.
 * critic [B, N] are §5.2 scores of s_T.
 */
export async function criticalReverse(
  ctx: CriticContext,
  sT: Int32Array,
  batch: number,
  critic: Float64Array,
  options: {
    readonly steps: number;
    readonly windowRate: number;
    readonly threshold: number;
    readonly classes: ClassInput;
    readonly lfIds?: Int32Array;
    /** Stop at this t whatever the errors say (EssConfig.fixedTStar); the passes up to it run as usual. */
    readonly stopAt?: number | null;
  },
  counter?: PassCounter,
): Promise<ReverseResult> {
  const { steps: T, classes, lfIds } = options;
  const { tokens: n, codebookSize: k } = ctx.prior.shape;
  if (T < 2) throw new RangeError('critical reverse sampling needs at least 2 steps');
  const { stopAt } = options;
  if (
    stopAt !== undefined &&
    stopAt !== null &&
    (!Number.isInteger(stopAt) || stopAt < 1 || stopAt > T - 1)
  ) {
    throw new RangeError(`fixed t* must be an integer in 1..${T - 1}, got ${stopAt}`);
  }
  const q = Math.max(1, Math.round(options.windowRate * T));
  const score = reverseScore(critic);
  const hist: number[] = [];
  const errors: { t: number; err: number; movingAverage: number }[] = [];
  let prev = 0;
  let tStar = 1;
  const sample = Int32Array.from({ length: batch }, (_, i) => i);
  for (let t = T - 1; t >= 1; t--) {
    const countT = maskedCount(n, T, t + 1);
    const countTm1 = maskedCount(n, T, t);
    if (countT === countTm1) {
      tStar = t;
      break;
    }
    const mt = bottomK(score, batch, n, countT);
    const mtm1 = bottomK(score, batch, n, countTm1);
    const input = sT.map((id, j) => (mtm1[j] === 1 ? k : id));
    const pred = await priorArgmax(ctx, input, null, sample, classes, lfIds, counter);
    let sum = 0;
    let count = 0;
    for (let j = 0; j < sT.length; j++) {
      if (mtm1[j] === 1 && mt[j] === 0) {
        sum += ctx.distances[sT[j] * k + pred[j]];
        count++;
      }
    }
    const err = sum / (count * ctx.codeDim);
    let ma = 0;
    if (t !== T - 1) {
      hist.push(err / (prev + 1e-5));
      if (hist.length > q) hist.shift();
      ma = hist.reduce((a, b) => a + b, 0) / hist.length;
    }
    prev = err;
    errors.push({ t, err, movingAverage: ma });
    if (options.stopAt !== undefined && options.stopAt !== null) {
      if (t === options.stopAt) {
        tStar = t;
        break;
      }
    } else if (t !== T - 1 && ma > options.threshold) {
      tStar = t;
      break;
    }
    if (t === 1) {
      tStar = 1;
      break;
    }
  }
  const remasked = bottomK(score, batch, n, maskedCount(n, T, tStar + 1));
  const ids = sT.map((id, j) => (remasked[j] === 1 ? k : id));
  return { tStar, ids, remasked, errors };
}
