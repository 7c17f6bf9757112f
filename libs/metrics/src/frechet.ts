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

/**
 * Eigenvalues of a symmetric row-major [n, n] matrix (overwritten): Householder reduction to tridiagonal form, then
 * implicit QL with Wilkinson shifts, without eigenvectors (several times faster than a full decomposition, which
 * matters for the bootstrap's hundreds of FIDs).
 */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // Householder vector v zeroing a[k+2.., k]: v = x + sign(x0)·‖x‖·e0 over rows k+1...
    let norm = 0;
    for (let i = k + 1; i < n; i++) norm += a[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const x0 = a[(k + 1) * n + k];
    const alpha = x0 >= 0 ? -norm : norm;
    for (let i = k + 1; i < n; i++) v[i] = a[i * n + k];
    v[k + 1] -= alpha;
    let vv = 0;
    for (let i = k + 1; i < n; i++) vv += v[i] * v[i];
    if (vv === 0) continue;
    const beta = 2 / vv;
    // A ← H A H on rows/columns k..n−1 with p = βAv, q = p − (β vᵀp / 2) v, A ← A − v qᵀ − q vᵀ.
    for (let i = k; i < n; i++) {
      let sum = 0;
      for (let j = k + 1; j < n; j++) sum += a[i * n + j] * v[j];
      p[i] = beta * sum;
    }
    let vp = 0;
    for (let i = k + 1; i < n; i++) vp += v[i] * p[i];
    const half = (beta * vp) / 2;
    for (let i = k + 1; i < n; i++) p[i] -= half * v[i];
    v[k] = 0;
    for (let i = k; i < n; i++) {
      for (let j = k; j < n; j++) a[i * n + j] -= v[i] * p[j] + p[i] * v[j];
    }
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  for (let i = 0; i < n - 1; i++) e[i] = a[(i + 1) * n + i];
  // Off-diagonals below ε·‖T‖ count as zero, as in JAMA/EISPACK tql2: eigenvalues are only accurate to that
  // anyway, and a purely relative test never accepts the rounding-level couplings of the (near-)null space
  // that singular covariances (dead features, n < dim) leave.
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]) + Math.abs(e[i]));
  if (!Number.isFinite(norm)) throw new RangeError('symmetricEigenvalues: the matrix is not finite');
  const floor = Number.EPSILON * norm;
  for (let l = 0; l < n; l++) {
    for (let iteration = 0; ; iteration++) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd || Math.abs(e[m]) <= floor) break;
      }
      if (m === l) break;
      if (iteration === 60) throw new Error('symmetricEigenvalues: no convergence');
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let shift = 0;
      let i = m - 1;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= shift;
          e[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - shift;
        r = (d[i] - g) * s + 2 * c * b;
        shift = s * r;
        d[i + 1] = g + shift;
        g = c * r - b;
      }
      if (r === 0 && i >= l) continue;
      d[l] -= shift;
      e[l] = g;
      e[m] = 0;
    }
  }
  return d;
}

/** a·b of two row-major dim × dim matrices; a zero entry of `a` skips its inner loop (cheap on sparse rows). */
function squareProduct(a: Float64Array, b: Float64Array, dim: number): Float64Array {
  const out = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let k = 0; k < dim; k++) {
      const aik = a[i * dim + k];
      if (aik === 0) continue;
      const bk = k * dim;
      const oi = i * dim;
      for (let j = 0; j < dim; j++) out[oi + j] += aik * b[bk + j];
    }
  }
  return out;
}

/** Σ √λ_i of the symmetric PSD matrix root·Σ2·root, root = Σ1^½ (row-major): Tr((Σ1 Σ2)^½). */
function traceSqrtWithRoot(root: Float64Array, cov2: Float64Array, dim: number): number {
  // root·(Σ2·root), symmetrised.
  const inner = squareProduct(root, squareProduct(cov2, root, dim), dim);
  for (let i = 0; i < dim; i++) {
    for (let j = i + 1; j < dim; j++) {
      const m = (inner[i * dim + j] + inner[j * dim + i]) / 2;
      inner[i * dim + j] = m;
      inner[j * dim + i] = m;
    }
  }
  let total = 0;
  for (const l of symmetricEigenvalues(inner, dim)) total += Math.sqrt(Math.max(l, 0));
  return total;
}

function rootOf(cov: Float64Array, dim: number): Float64Array {
  return Float64Array.from(symmetricSqrt(toMatrix(cov, dim)).to1DArray());
}

/** Tr((Σ1 Σ2)^½) for symmetric PSD Σ1, Σ2, as Σ √λ_i of the symmetric PSD matrix Σ1^½ Σ2 Σ1^½. */
export function traceSqrtProduct(cov1: Float64Array, cov2: Float64Array, dim: number): number {
  return traceSqrtWithRoot(rootOf(cov1, dim), cov2, dim);
}

/** The first set's statistics with Σ1^½ computed once, for many distances against the same (real) set. */
export interface FrechetReference {
  readonly stats: GaussianStats;
  /** Σ1^½, row-major. */
  readonly root: Float64Array;
}

export function frechetReference(stats: GaussianStats): FrechetReference {
  return { stats, root: rootOf(stats.cov, stats.dim) };
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
