import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricReference } from '@maskgen/client';

// Each metric's real-data reference as the CLI and the dashboard show it next to the metric (issue 20 item 10).
const f = (value: number) => value.toFixed(2);

test('FID: the same judge’s real train-vs-test FID with its terms, and the run’s own terms', () => {
  const fid = {
    name: 'fid',
    value: 3.5,
    details: {
      meanTerm: 1.25,
      covarianceTerm: 2.25,
      reference: { trainVsTest: { fid: 0.8125, meanTerm: 0.0625, covarianceTerm: 0.75, train: 67 } },
    },
  };
  assert.equal(
    metricReference(fid, f),
    'real train vs test 0.81 (mean 0.06 + cov 0.75); this run: mean 1.25 + cov 2.25',
  );
  // A metric stored before the reference existed: its own terms only, or nothing.
  assert.equal(
    metricReference({ ...fid, details: { meanTerm: 1, covarianceTerm: 2 } }, f),
    'this run: mean 1.00 + cov 2.00',
  );
  assert.equal(metricReference({ name: 'fid', value: 1 }, f), null);
});

test('IS, class histogram, CAS and critic distance read their references; others have none', () => {
  assert.equal(
    metricReference({ name: 'inception_score', value: 1.5, details: { reference: { realTest: 1.94 } } }, f),
    'real test 1.94',
  );
  assert.equal(
    metricReference(
      { name: 'class_tv', value: 0.35, details: { predicted: { real: [76, 74], generated: [662, 106] } } },
      f,
    ),
    'real test classes 76 / 74 (TV 0); generated 662 / 106',
  );
  const model = { classifierTestAccuracy: 0.9, criticRealDistance: 1.5 };
  assert.equal(metricReference({ name: 'cas', value: 0.7 }, f, model), 'judge trained on real data 0.90');
  assert.equal(metricReference({ name: 'cas', value: 0.7 }, f), null);
  assert.equal(metricReference({ name: 'critic_distance', value: 2 }, f, model), 'real test grids 1.50');
  assert.equal(metricReference({ name: 'rocket_fid', value: 100, details: {} }, f, model), null);
  assert.equal(metricReference({ name: 'inception_score', value: 1, details: { reference: 'x' } }, f), null);
});
