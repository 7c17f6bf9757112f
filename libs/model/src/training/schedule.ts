/**
 * Cosine annealing as torch's CosineAnnealingLR computes it (closed form, eta_min = minLr):
 * lr(t) = minLr + (baseLr − minLr)·(1 + cos(π·t/period))/2, clamped at t = period.
 */
export function cosineLearningRate(step: number, baseLr: number, period: number, minLr = 0): number {
  if (!(period > 0)) throw new RangeError(`cosine period must be positive, got ${period}`);
  const t = Math.min(Math.max(step, 0), period);
  return minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * t) / period))) / 2;
}

/**
 * The ESS stage-1/2 period (ess.md §3.6): epochs·(ceil(N_train / batch) + 1) optimiser steps. The scheduler is
 * stepped every batch, so with the extra +1 per epoch the rate never reaches 0 within the run.
 */
export function essCosinePeriod(epochs: number, trainCount: number, batchSize: number): number {
  return epochs * (Math.ceil(trainCount / batchSize) + 1);
}
