import { type CriticContext, criticScores } from './critic';
import { criticalReverse } from './reverse';

/** What the self-critic makes of real token grids (issue 19 item 5): its false positives. */
export interface CriticFalsePositives {
  /**
   * The false-positive rate: the share of the real tokens critical reverse sampling (ess.md §5.3, with the model's
   * window rate and threshold θ) re-masks, i.e. ESS would judge unrealistic and redraw, m(t*+1)/N. Real data needs
   * no refinement, so a good critic keeps this low; ESS can never go below m(T)/N (0) nor above m(2)/N.
   */
  readonly remaskedShare: number;
  /** The real grids' t* (one batch, shared by every grid as R shares it over a request). */
  readonly tStar: number;
  /**
   * The share of real tokens the critic disagrees with: with the token masked, the prior's argmax is another code
   * (code distance > 0). The distances the §5.2 scores rank, before any threshold.
   */
  readonly flaggedShare: number;
  /** Real tokens judged: grids × N. */
  readonly tokens: number;
}

/**
 * The self-critic's false positives on real token grids `real` [grids, N] (no mask ids), given their raw critic
 * distances [grids, N] (criticDistances without classes, as the calibration scores them): the share ESS would
 * re-mask under its threshold, and the share the critic disagrees with at all.
 */
export async function criticFalsePositives(
  ctx: CriticContext,
  real: Int32Array,
  grids: number,
  distances: Float64Array,
  options: { readonly steps: number; readonly windowRate: number; readonly threshold: number },
): Promise<CriticFalsePositives> {
  const n = ctx.prior.shape.tokens;
  if (real.length !== grids * n || distances.length !== grids * n) {
    throw new RangeError(
      `critic false positives: ${real.length} ids, ${distances.length} distances for [${grids}, ${n}]`,
    );
  }
  const scores = criticScores(distances, grids, n, ctx.temperature);
  const reverse = await criticalReverse(ctx, real, grids, scores, { ...options, classes: null });
  const remasked = reverse.remasked.reduce((sum, flag) => sum + flag, 0);
  const flagged = distances.reduce((sum, d) => sum + (d > 0 ? 1 : 0), 0);
  return {
    remaskedShare: remasked / real.length,
    tStar: reverse.tStar,
    flaggedShare: flagged / real.length,
    tokens: real.length,
  };
}
