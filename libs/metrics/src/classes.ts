import { type FeatureMatrix, frechetDistance, type FrechetResult } from './frechet';

/** Argmax class of each row of row-major [rows, classes] probabilities (the lowest index on ties). */
export function predictedClasses(probabilities: Float32Array, rows: number, classes: number): Int32Array {
  if (probabilities.length !== rows * classes) {
    throw new RangeError(`${probabilities.length} probabilities for [${rows}, ${classes}]`);
  }
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) if (probabilities[o + c] > probabilities[o + best]) best = c;
    out[r] = best;
  }
  return out;
}

/** Counts per class index in [0, classes). */
export function classHistogram(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new RangeError(`label ${label} is outside ${classes} classes`);
    }
    counts[label] += 1;
  }
  return counts;
}

/** ½ Σ |p_i − q_i| of two histograms, each normalised to sum 1 (0: same class mix, 1: disjoint). */
export function totalVariationDistance(p: readonly number[], q: readonly number[]): number {
  if (p.length !== q.length) throw new RangeError(`histograms have ${p.length} and ${q.length} bins`);
  const sum = (h: readonly number[]) => h.reduce((s, v) => s + v, 0);
  const sp = sum(p);
  const sq = sum(q);
  if (!(sp > 0) || !(sq > 0) || p.some((v) => v < 0) || q.some((v) => v < 0)) {
    throw new RangeError('histograms need non-negative counts with a positive total');
  }
  let total = 0;
  for (let i = 0; i < p.length; i++) total += Math.abs(p[i] / sp - q[i] / sq);
  return total / 2;
}

export interface ClassFrechet {
  readonly classIndex: number;
  readonly real: number;
  readonly generated: number;
  /** Null when either side has fewer than 2 series of the class (no covariance). */
  readonly result: FrechetResult | null;
}

function rowsOf(features: FeatureMatrix, labels: ArrayLike<number>, classIndex: number): FeatureMatrix {
  const { dim, data } = features;
  const picked: number[] = [];
  for (let r = 0; r < features.rows; r++) if (labels[r] === classIndex) picked.push(r);
  const out = new Float64Array(picked.length * dim);
  picked.forEach((r, i) => out.set(data.subarray(r * dim, (r + 1) * dim), i * dim));
  return { rows: picked.length, dim, data: out };
}

/**
 * FID per class of class-conditional samples: the generated series asked for class c against the real series
 * labelled c (the class-conditional analogue of the §7 FID; ess.md leaves the paper's exact construction open).
 */
export function perClassFrechet(
  real: FeatureMatrix,
  realLabels: ArrayLike<number>,
  generated: FeatureMatrix,
  generatedLabels: ArrayLike<number>,
  classes: number,
): ClassFrechet[] {
  if (realLabels.length !== real.rows || generatedLabels.length !== generated.rows) {
    throw new RangeError('one label per feature row is needed on both sides');
  }
  return Array.from({ length: classes }, (_, classIndex) => {
    const r = rowsOf(real, realLabels, classIndex);
    const g = rowsOf(generated, generatedLabels, classIndex);
    const result = r.rows >= 2 && g.rows >= 2 ? frechetDistance(r, g) : null;
    return { classIndex, real: r.rows, generated: g.rows, result };
  });
}
