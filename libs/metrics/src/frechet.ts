import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** Row-major [rows, dim] feature matrix (one feature vector per series). */
export interface FeatureMatrix {
  readonly rows: number;
  readonly dim: number;
  readonly data: Float32Array | Float64Array;
}

/** Mean and unbiased covariance (divide by n − 1) of a feature set, in float64. */
export interface GaussianStats {
  readonly count: number;
  readonly dim: number;
  readonly mean: Float64Array;
  /** Row-major [dim, dim], symmetric. */
  readonly cov: Float64Array;
}

export interface FrechetResult {
  /** ‖μ1 − μ2‖² + Tr(Σ1) + Tr(Σ2) − 2·Tr((Σ1 Σ2)^½). */
  readonly distance: number;
  readonly meanTerm: number;
  /** Tr(Σ1) + Tr(Σ2) − 2·Tr((Σ1 Σ2)^½). */
  readonly covarianceTerm: number;
  /** Tr((Σ1 Σ2)^½) = Σ √λ_i of Σ1^½ Σ2 Σ1^½ (λ clamped at 0). */
  readonly traceSqrt: number;
}

export function assertFeatureMatrix(features: FeatureMatrix, what = 'features'): void {
  const { rows, dim, data } = features;
  if (!Number.isInteger(rows) || rows < 2) throw new RangeError(`${what}: need at least 2 rows, got ${rows}`);
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`${what}: need a positive dim, got ${dim}`);
  if (data.length !== rows * dim) {
    throw new RangeError(`${what}: ${data.length} values for [${rows}, ${dim}]`);
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new RangeError(`${what}: value ${i} is not finite`);
  }
}

/** Float64 mean and unbiased covariance: two passes (mean, then centred products). */
export function featureStats(features: FeatureMatrix): GaussianStats {
  assertFeatureMatrix(features);
  const { rows, dim, data } = features;
  const mean = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    for (let i = 0; i < dim; i++) mean[i] += data[o + i];
  }
  for (let i = 0; i < dim; i++) mean[i] /= rows;
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    for (let i = 0; i < dim; i++) centred[i] = data[o + i] - mean[i];
    for (let i = 0; i < dim; i++) {
      const ci = centred[i];
      if (ci === 0) continue;
      const row = i * dim;
      for (let j = i; j < dim; j++) cov[row + j] += ci * centred[j];
    }
  }
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      const v = cov[i * dim + j] / (rows - 1);
      cov[i * dim + j] = v;
      cov[j * dim + i] = v;
    }
  }
  return { count: rows, dim, mean, cov };
}

function toMatrix(values: Float64Array, dim: number): Matrix {
  const m = new Matrix(dim, dim);
  for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) m.set(i, j, values[i * dim + j]);
  return m;
}

function symmetrize(m: Matrix): Matrix {
  return m.add(m.transpose()).mul(0.5);
}

/** Σ^½ of a symmetric positive semi-definite matrix via its symmetric eigendecomposition (λ clamped at 0). */
export function symmetricSqrt(m: Matrix): Matrix {
  const eig = new EigenvalueDecomposition(symmetrize(m), { assumeSymmetric: true });
  const vectors = eig.eigenvectorMatrix;
  const roots = eig.realEigenvalues.map((l) => Math.sqrt(Math.max(l, 0)));
  // V·diag(√λ)·Vᵀ
  const scaled = vectors.clone();
  for (let j = 0; j < roots.length; j++)
    for (let i = 0; i < scaled.rows; i++) scaled.set(i, j, scaled.get(i, j) * roots[j]);
  return symmetrize(scaled.mmul(vectors.transpose()));
}

/** Σ √λ_i of the symmetric PSD matrix root·Σ2·root, root = Σ1^½: Tr((Σ1 Σ2)^½). */
function traceSqrtWithRoot(root: Matrix, cov2: Float64Array, dim: number): number {
  const inner = symmetrize(root.mmul(toMatrix(cov2, dim)).mmul(root));
  const eig = new EigenvalueDecomposition(inner, { assumeSymmetric: true });
  let total = 0;
  for (const l of eig.realEigenvalues) total += Math.sqrt(Math.max(l, 0));
  return total;
}

/** Tr((Σ1 Σ2)^½) for symmetric PSD Σ1, Σ2, as Σ √λ_i of the symmetric PSD matrix Σ1^½ Σ2 Σ1^½. */
export function traceSqrtProduct(cov1: Float64Array, cov2: Float64Array, dim: number): number {
  return traceSqrtWithRoot(symmetricSqrt(toMatrix(cov1, dim)), cov2, dim);
}

/** The first set's statistics with Σ1^½ computed once, for many distances against the same (real) set. */
export interface FrechetReference {
  readonly stats: GaussianStats;
  readonly root: Matrix;
}

export function frechetReference(stats: GaussianStats): FrechetReference {
  return { stats, root: symmetricSqrt(toMatrix(stats.cov, stats.dim)) };
}

/** Fréchet distance of `b` from a prepared first set (see frechetDistanceFromStats). */
export function frechetDistanceToReference(reference: FrechetReference, b: GaussianStats): FrechetResult {
  const a = reference.stats;
  if (a.dim !== b.dim) throw new RangeError(`feature dims differ: ${a.dim} vs ${b.dim}`);
  const dim = a.dim;
  let meanTerm = 0;
  for (let i = 0; i < dim; i++) meanTerm += (a.mean[i] - b.mean[i]) ** 2;
  let traces = 0;
  for (let i = 0; i < dim; i++) traces += a.cov[i * dim + i] + b.cov[i * dim + i];
  const traceSqrt = traceSqrtWithRoot(reference.root, b.cov, dim);
  const covarianceTerm = traces - 2 * traceSqrt;
  // Rounding can leave a tiny negative value for (near-)identical sets; the distance is ≥ 0 by definition.
  const distance = Math.max(meanTerm + covarianceTerm, 0);
  return { distance, meanTerm, covarianceTerm, traceSqrt };
}

/** Fréchet distance between two Gaussians given by their statistics. */
export function frechetDistanceFromStats(a: GaussianStats, b: GaussianStats): FrechetResult {
  return frechetDistanceToReference(frechetReference(a), b);
}

/** FID-style Fréchet distance between two feature sets (rows are samples). */
export function frechetDistance(a: FeatureMatrix, b: FeatureMatrix): FrechetResult {
  return frechetDistanceFromStats(featureStats(a), featureStats(b));
}
