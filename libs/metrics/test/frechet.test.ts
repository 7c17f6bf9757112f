import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { SeededRng } from '@maskgen/tensor';
import {
  featureStats,
  frechetDistance,
  frechetDistanceFromStats,
  symmetricEigenvalues,
  type FeatureMatrix,
  type GaussianStats,
} from '@maskgen/metrics';

/** Plain-JS dense helpers, independent of ml-matrix. */
type Mat = number[][];
const eye = (n: number): Mat =>
  Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
const mul = (a: Mat, b: Mat): Mat =>
  a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const add = (a: Mat, b: Mat, s = 1): Mat => a.map((row, i) => row.map((v, j) => v + s * b[i][j]));
const scale = (a: Mat, s: number): Mat => a.map((row) => row.map((v) => v * s));
const trace = (a: Mat): number => a.reduce((s, row, i) => s + row[i], 0);
const transpose = (a: Mat): Mat => a[0].map((_, j) => a.map((row) => row[j]));

/** Gauss–Jordan inverse with partial pivoting. */
function inverse(a: Mat): Mat {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...eye(n)[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    const pivot = m[c][c];
    for (let j = 0; j < 2 * n; j++) m[c][j] /= pivot;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c];
      for (let j = 0; j < 2 * n; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((row) => row.slice(n));
}

/** Denman–Beavers iteration for the principal square root of a (non-symmetric) matrix with positive eigenvalues. */
function sqrtm(a: Mat): Mat {
  let y = a;
  let z = eye(a.length);
  for (let i = 0; i < 60; i++) {
    const yi = inverse(y);
    const zi = inverse(z);
    y = scale(add(y, zi), 0.5);
    z = scale(add(z, yi), 0.5);
  }
  return y;
}

function randomSpd(n: number, rng: SeededRng): Mat {
  const a: Mat = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
  return add(mul(a, transpose(a)), scale(eye(n), 0.1));
}

function stats(mean: number[], cov: Mat): GaussianStats {
  return { count: 100, dim: mean.length, mean: Float64Array.from(mean), cov: Float64Array.from(cov.flat()) };
}

/** Rows x = μ + L·z with L the Cholesky factor of cov: exact-Gaussian-ish samples for Monte Carlo checks. */
function sample(rows: number, mean: number[], cov: Mat, rng: SeededRng): FeatureMatrix {
  const n = mean.length;
  const l: Mat = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = cov[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      l[i][j] = i === j ? Math.sqrt(s) : s / l[j][j];
    }
  }
  const data = new Float64Array(rows * n);
  const z = new Array<number>(n);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) z[i] = rng.normal();
    for (let i = 0; i < n; i++) {
      let v = mean[i];
      for (let k = 0; k <= i; k++) v += l[i][k] * z[k];
      data[r * n + i] = v;
    }
  }
  return { rows, dim: n, data };
}

function randomFeatures(rows: number, dim: number, rng: SeededRng): FeatureMatrix {
  const data = new Float64Array(rows * dim);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * (1 + (i % dim) / dim) + (i % 3);
  return { rows, dim, data };
}

function map(f: FeatureMatrix, fn: (v: number, col: number) => number): FeatureMatrix {
  return { ...f, data: f.data.map((v, i) => fn(v, i % f.dim)) };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe('featureStats', () => {
  test('mean and unbiased covariance of a hand-computed example', () => {
    // rows (1, 2), (3, 6), (5, 7): mean (3, 5); centred (−2, −3), (0, 1), (2, 2).
    const s = featureStats({ rows: 3, dim: 2, data: Float32Array.from([1, 2, 3, 6, 5, 7]) });
    assert.deepEqual([...s.mean], [3, 5]);
    // Σ = [[4+0+4, 6+0+4], [·, 9+1+4]] / 2
    assert.deepEqual([...s.cov], [4, 5, 5, 7]);
  });

  test('rejects non-finite values and too few rows', () => {
    assert.throws(
      () => featureStats({ rows: 2, dim: 1, data: Float32Array.from([1, Number.NaN]) }),
      /not finite/,
    );
    assert.throws(() => featureStats({ rows: 1, dim: 1, data: Float32Array.from([1]) }), /at least 2 rows/);
  });
});

describe('frechetDistance', () => {
  const rng = new SeededRng('frechet-test');

  test('identical sets give ~0', () => {
    const a = randomFeatures(400, 24, rng.fork('a'));
    const result = frechetDistance(a, a);
    assert.ok(result.distance < 1e-8, `distance ${result.distance}`);
  });

  test('a pure shift gives ‖Δμ‖² exactly (covariances equal)', () => {
    const a = randomFeatures(300, 16, rng.fork('shift'));
    const shift = Array.from({ length: 16 }, (_, i) => 0.1 * i - 0.5);
    const b = map(a, (v, c) => v + shift[c]);
    const expected = shift.reduce((s, v) => s + v * v, 0);
    const { distance } = frechetDistance(a, b);
    assert.ok(rel(distance, expected) < 1e-8, `${distance} vs ${expected}`);
  });

  test('scaled and shifted features: ‖(1−c)μ − δ‖² + (1−c)²·Tr(Σ)', () => {
    const a = randomFeatures(300, 12, rng.fork('scaled'));
    const c = 1.7;
    const delta = 0.3;
    const b = map(a, (v) => c * v + delta);
    const s = featureStats(a);
    let meanTerm = 0;
    for (let i = 0; i < 12; i++) meanTerm += ((1 - c) * s.mean[i] - delta) ** 2;
    let tr = 0;
    for (let i = 0; i < 12; i++) tr += s.cov[i * 12 + i];
    const expected = meanTerm + (1 - c) ** 2 * tr;
    const { distance } = frechetDistance(a, b);
    assert.ok(rel(distance, expected) < 1e-8, `${distance} vs ${expected}`);
  });

  test('diagonal covariances: Σ(√a_i − √b_i)²', () => {
    const a = [1, 4, 0.25, 9];
    const b = [4, 1, 1, 0.01];
    const diag = (v: number[]) => v.map((x, i) => v.map((_, j) => (i === j ? x : 0)));
    const { distance } = frechetDistanceFromStats(stats([0, 0, 0, 0], diag(a)), stats([1, 0, 0, 2], diag(b)));
    const expected = 5 + a.reduce((s, x, i) => s + (Math.sqrt(x) - Math.sqrt(b[i])) ** 2, 0);
    assert.ok(rel(distance, expected) < 1e-10, `${distance} vs ${expected}`);
  });

  test('non-commuting 2×2 covariances: Tr((Σ1Σ2)^½) = √(Tr(Σ1Σ2) + 2√(det Σ1·det Σ2))', () => {
    const s1 = [
      [2, 0.9],
      [0.9, 1],
    ];
    const s2 = [
      [0.5, -0.3],
      [-0.3, 3],
    ];
    const det = (m: Mat) => m[0][0] * m[1][1] - m[0][1] * m[1][0];
    const traceSqrt = Math.sqrt(trace(mul(s1, s2)) + 2 * Math.sqrt(det(s1) * det(s2)));
    const expected = 1 + trace(s1) + trace(s2) - 2 * traceSqrt;
    const result = frechetDistanceFromStats(stats([0, 1], s1), stats([1, 1], s2));
    assert.ok(Math.abs(result.traceSqrt - traceSqrt) < 1e-12, `${result.traceSqrt} vs ${traceSqrt}`);
    assert.ok(rel(result.distance, expected) < 1e-10, `${result.distance} vs ${expected}`);
  });

  test('random dense 8×8 covariances match a Denman–Beavers square root of Σ1Σ2', () => {
    for (let trial = 0; trial < 3; trial++) {
      const s1 = randomSpd(8, rng.fork(`s1-${trial}`));
      const s2 = randomSpd(8, rng.fork(`s2-${trial}`));
      const expectedTrace = trace(sqrtm(mul(s1, s2)));
      const zero = new Array<number>(8).fill(0);
      const result = frechetDistanceFromStats(stats(zero, s1), stats(zero, s2));
      assert.ok(rel(result.traceSqrt, expectedTrace) < 1e-9, `${result.traceSqrt} vs ${expectedTrace}`);
      const expected = trace(s1) + trace(s2) - 2 * expectedTrace;
      assert.ok(Math.abs(result.distance - expected) < 1e-8 * trace(s1), `${result.distance} vs ${expected}`);
    }
  });

  test('samples of shifted Gaussians N(0, Σ) and N(μ, c²Σ) approach the closed form ‖μ‖² + (1−c)²·Tr(Σ)', () => {
    const cov = randomSpd(6, rng.fork('mc-cov'));
    const c = 0.5;
    const mu = [1, -1, 0.5, 0, 2, -0.5];
    const a = sample(20000, new Array<number>(6).fill(0), cov, rng.fork('mc-a'));
    const b = sample(20000, mu, scale(cov, c * c), rng.fork('mc-b'));
    const expected = mu.reduce((s, v) => s + v * v, 0) + (1 - c) ** 2 * trace(cov);
    const { distance } = frechetDistance(a, b);
    assert.ok(rel(distance, expected) < 0.05, `${distance} vs ${expected}`);
  });

  test('singular covariances (fewer rows than dims) stay finite and non-negative', () => {
    const a = randomFeatures(10, 32, rng.fork('sing-a'));
    const b = randomFeatures(10, 32, rng.fork('sing-b'));
    const { distance } = frechetDistance(a, b);
    assert.ok(Number.isFinite(distance) && distance > 0);
    assert.ok(frechetDistance(a, a).distance < 1e-6);
  });

  test('FID = mean term + covariance term, each as defined (‖μ1−μ2‖² and Tr(Σ1+Σ2−2(Σ1Σ2)^½))', () => {
    const a = sample(500, [0, 0, 0], randomSpd(3, rng.fork('terms-cov-a')), rng.fork('terms-a'));
    const b = sample(400, [1, -0.5, 2], randomSpd(3, rng.fork('terms-cov-b')), rng.fork('terms-b'));
    const result = frechetDistance(a, b);
    assert.ok(result.meanTerm > 0.5 && result.covarianceTerm > 0.01, JSON.stringify(result));
    assert.ok(Math.abs(result.meanTerm + result.covarianceTerm - result.distance) < 1e-12);
    const sa = featureStats(a);
    const sb = featureStats(b);
    const meanTerm = [0, 1, 2].reduce((s, i) => s + (sa.mean[i] - sb.mean[i]) ** 2, 0);
    assert.ok(rel(result.meanTerm, meanTerm) < 1e-12);
    const cov = (s: typeof sa) => [0, 1, 2].map((i) => [0, 1, 2].map((j) => s.cov[i * 3 + j]));
    const covarianceTerm = trace(cov(sa)) + trace(cov(sb)) - 2 * trace(sqrtm(mul(cov(sa), cov(sb))));
    assert.ok(
      rel(result.covarianceTerm, covarianceTerm) < 1e-9,
      `${result.covarianceTerm} vs ${covarianceTerm}`,
    );
  });

  test('symmetricEigenvalues: matches ml-matrix on dense matrices; near-zero blocks with subnormal couplings converge', () => {
    for (const n of [1, 2, 7, 40]) {
      const m = randomSpd(n, rng.fork(`eig-${n}`));
      const flat = Float64Array.from(m.flat());
      const ours = [...symmetricEigenvalues(Float64Array.from(flat), n)].sort((x, y) => x - y);
      const ref = new EigenvalueDecomposition(new Matrix(m), { assumeSymmetric: true }).realEigenvalues.sort(
        (x, y) => x - y,
      );
      ours.forEach((l, i) =>
        assert.ok(Math.abs(l - ref[i]) < 1e-10 * Math.max(1, Math.abs(ref[i])), `${n}: ${l} vs ${ref[i]}`),
      );
    }
    const n = 8;
    const a = new Float64Array(n * n);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) a[i * n + j] = 1e-3 * (i + 1) * (j + 1);
    for (let i = 3; i < n; i++) for (let j = 3; j < n; j++) if (i !== j) a[i * n + j] = 1e-320;
    const values = [...symmetricEigenvalues(a, n)].sort((x, y) => x - y);
    assert.ok(
      Math.abs(values[n - 1] - 0.014) < 1e-15 && values.slice(0, -1).every((v) => Math.abs(v) < 1e-15),
    );
    assert.throws(() => symmetricEigenvalues(Float64Array.from([Number.NaN]), 1), /not finite/);
  });

  test('mismatched dims are rejected', () => {
    assert.throws(
      () => frechetDistance(randomFeatures(5, 3, rng), randomFeatures(5, 4, rng)),
      /feature dims differ/,
    );
  });
});
