import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '@maskgen/tensor';
import {
  type FeatureMatrix,
  featureStats,
  frechetDistance,
  pairedBootstrapFidDifference,
} from '@maskgen/metrics';

/** rows of N(mean, I) in `mean.length` dimensions. */
function gaussian(rows: number, mean: readonly number[], rng: SeededRng): FeatureMatrix {
  const dim = mean.length;
  const data = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) for (let i = 0; i < dim; i++) data[r * dim + i] = mean[i] + rng.normal();
  return { rows, dim, data };
}

/**
 * The real set is fixed (the test split of the judge), so the target is the difference conditional on it:
 * for generated N(μa, I) and N(μb, I) the covariance terms against the real set are equal and cancel, leaving
 * ‖μa − m‖² − ‖μb − m‖² with m the real set's mean.
 */
function conditionalTruth(real: FeatureMatrix, muA: readonly number[], muB: readonly number[]): number {
  const { mean } = featureStats(real);
  let total = 0;
  for (let i = 0; i < mean.length; i++) total += (muA[i] - mean[i]) ** 2 - (muB[i] - mean[i]) ** 2;
  return total;
}

describe('pairedBootstrapFidDifference', () => {
  const rng = new SeededRng('bootstrap-test');
  const zero = [0, 0, 0, 0];
  const shift = [1, 0, 0, 0]; // ‖δ‖² = 1: the population FID of N(δ, I) from N(0, I), equal covariances

  test('a known mean shift: the CI covers the true difference and excludes 0', async () => {
    const real = gaussian(300, zero, rng.fork('real'));
    const truth = conditionalTruth(real, shift, zero); // ≈ 1
    const a = gaussian(500, shift, rng.fork('a'));
    const b = gaussian(500, zero, rng.fork('b'));
    const result = await pairedBootstrapFidDifference(real, a, b, { seed: 1 });
    assert.equal(result.replicates, 200);
    assert.equal(result.level, 0.95);
    assert.equal(result.samples, 500);
    assert.equal(result.difference, frechetDistance(real, a).distance - frechetDistance(real, b).distance);
    assert.ok(result.low <= result.difference && result.difference <= result.high, JSON.stringify(result));
    assert.ok(result.low > 0, `CI [${result.low}, ${result.high}] excludes 0`);
    assert.ok(Math.abs(truth - 1) < 0.2, `truth ${truth}`);
    assert.ok(
      result.low < truth && truth < result.high,
      `CI [${result.low}, ${result.high}] covers ${truth}`,
    );
    // The other way round: the same interval, negated.
    const swapped = await pairedBootstrapFidDifference(real, b, a, { seed: 1 });
    assert.ok(Math.abs(swapped.low + result.high) < 1e-9 && Math.abs(swapped.high + result.low) < 1e-9);
  });

  test('two samples of one distribution: the CI covers 0; identical sets: exactly [0, 0]', async () => {
    const real = gaussian(300, zero, rng.fork('real-0'));
    const a = gaussian(400, zero, rng.fork('same-a'));
    const b = gaussian(400, zero, rng.fork('same-b'));
    const result = await pairedBootstrapFidDifference(real, a, b, { seed: 2 });
    assert.ok(result.low < 0 && 0 < result.high, `CI [${result.low}, ${result.high}] covers 0`);
    const self = await pairedBootstrapFidDifference(real, a, a, { seed: 2, replicates: 20 });
    assert.deepEqual([self.difference, self.low, self.high], [0, 0, 0]);
  });

  test('coverage: over 20 independent data sets the 95 % CI covers the true difference (given the real set) at least 16 times', async () => {
    let covered = 0;
    for (let k = 0; k < 20; k++) {
      const real = gaussian(200, [0, 0], rng.fork(`cov-real-${k}`));
      const a = gaussian(200, [0.5, 0], rng.fork(`cov-a-${k}`));
      const b = gaussian(200, [0, 0], rng.fork(`cov-b-${k}`));
      const r = await pairedBootstrapFidDifference(real, a, b, { seed: k, replicates: 100 });
      const truth = conditionalTruth(real, [0.5, 0], [0, 0]);
      if (r.low <= truth && truth <= r.high) covered++;
    }
    assert.ok(covered >= 16, `covered ${covered} of 20`);
  });

  test('seeded: the same seed gives the same interval; bad input is refused', async () => {
    const real = gaussian(50, zero, rng.fork('s-real'));
    const a = gaussian(40, shift, rng.fork('s-a'));
    const b = gaussian(40, zero, rng.fork('s-b'));
    const one = await pairedBootstrapFidDifference(real, a, b, { seed: 'x', replicates: 30 });
    const two = await pairedBootstrapFidDifference(real, a, b, { seed: 'x', replicates: 30 });
    assert.deepEqual(one, two);
    await assert.rejects(pairedBootstrapFidDifference(real, a, gaussian(39, zero, rng)), /equal rows/);
    await assert.rejects(pairedBootstrapFidDifference(real, a, b, { replicates: 1 }), /replicates/);
  });
});
