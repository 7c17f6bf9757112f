/**
 * Critical resampling variants (ess.md §5.4, §10). R, the released code and the default: every position is redrawn
 * at each step, the critic scores the full draw and the lowest m(t+1) are re-masked anywhere; the t* iteration runs.
 * D, keep-visible (a later, unreleased revision): only tokens re-masked by reverse sampling may change.
 */
export const ESS_VARIANTS = ['R', 'D'] as const;
export type EssVariant = (typeof ESS_VARIANTS)[number];

/** The spec's keepVisible flag of a variant: true only for D. */
export function keepsVisible(variant: EssVariant): boolean {
  return variant === 'D';
}

/** ESS hyperparameters (ess.md §5.3–§5.5, §6). Defaults are the released code's (R, §10). */
export interface EssConfig {
  /** Error window rate: the reverse-sampling window is q = round(rate·T) (0.3, so 3 for T = 10). */
  readonly windowRate: number;
  /** Stop threshold θ on the moving average of error ratios (1.0). */
  readonly threshold: number;
  /** Which branches ESS refines: 'lf' (R) or 'lf+hf'. */
  readonly applyTo: 'lf' | 'lf+hf';
  /** Resampling variant: 'R' (released, default) or 'D' (keep-visible). See ESS_VARIANTS. */
  readonly variant: EssVariant;
  /**
   * D only: its resampling iteration at t* re-masks exactly what it filled (§5.4), so it is skipped to save one
   * critic call (N prior passes); the output is identical either way (tested). Under R that iteration re-selects
   * among a fresh full draw, so it always runs whatever this says.
   */
  readonly skipNoOpStep: boolean;
  /**
   * Per-sample t* (§5.3 allows it as an option, off by default): each sample's reverse sampling computes `err` on
   * its own tokens and stops at its own t*; resampling then runs per group of equal t*. R shares one t* over the
   * whole request (false).
   */
  readonly perSampleTStar: boolean;
  /**
   * Divides the critic's code distances before its softmax: scores = softmax over n of −dist/temperature. The spec
   * (§5.2) has none, i.e. 1 (the default). Not part of the method: a study knob (docs/ess.md, "critic temperature"),
   * since squared distances summed over 64 code dimensions make the softmax nearly one-hot at our budgets.
   */
  readonly criticTemperature: number;
  /**
   * Stops critical reverse sampling at this t* instead of where the error ratios say (null: the spec's rule).
   * Not part of the method: random-weight benchmarks fix t* (the released code's GunPoint value is 6) so their pass
   * counts are those of a trained model's run.
   */
  readonly fixedTStar: number | null;
}

export const ESS_DEFAULTS: EssConfig = {
  windowRate: 0.3,
  threshold: 1.0,
  applyTo: 'lf',
  variant: 'R',
  skipNoOpStep: true,
  perSampleTStar: false,
  criticTemperature: 1,
  fixedTStar: null,
};
