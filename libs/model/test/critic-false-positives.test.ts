import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type BranchInput,
  type BranchRunner,
  type CriticContext,
  criticDistances,
  criticFalsePositives,
  maskedCount,
} from '@maskgen/model';

// The critic's false positives on real token grids (issue 19 item 5), on stand-in priors whose answers are known.
const N = 45;
const K = 8;
const T = 10;
const GRIDS = 3;
/** Every grid is the same real sequence, so a stand-in prior knows the truth at a masked position. */
const TRUTH = Int32Array.from({ length: N }, (_, i) => (i * 3) % K);
const REAL = Int32Array.from({ length: GRIDS * N }, (_, j) => TRUTH[j % N]);

/**
 * A prior that predicts the real token at every masked position unless `wrong(position, maskedInRow)` says it
 * predicts the next code instead; visible positions are predicted as they are.
 */
function standIn(wrong: (position: number, masked: number) => boolean): CriticContext {
  const runner: BranchRunner = {
    shape: { branch: 'lf', tokens: N, codebookSize: K, codeDim: 1, numClasses: 2 },
    noClass: 2,
    logitsOf: () => Promise.reject(new Error('not used')),
    argmaxOf: ({ batch, tokens }: BranchInput) => {
      const out = new Int32Array(batch * N);
      for (let b = 0; b < batch; b++) {
        const row = tokens.subarray(b * N, (b + 1) * N);
        const masked = row.filter((id) => id === K).length;
        for (let p = 0; p < N; p++) {
          if (row[p] !== K) out[b * N + p] = row[p];
          else out[b * N + p] = wrong(p, masked) ? (TRUTH[p] + 1) % K : TRUTH[p];
        }
      }
      return Promise.resolve(out);
    },
  };
  // Code distance (a − b)² between codes a and b, one dimension.
  const distances = Float64Array.from({ length: K * K }, (_, j) => (Math.floor(j / K) - (j % K)) ** 2);
  return { prior: runner, distances, codeDim: 1, rowsPerPass: 64 };
}

async function falsePositives(ctx: CriticContext) {
  const distances = await criticDistances(ctx, REAL, GRIDS, null);
  return criticFalsePositives(ctx, REAL, GRIDS, distances, { steps: T, windowRate: 0.3, threshold: 1 });
}

test('a critic that agrees with every real token flags none, yet ESS traces back to t* = 1 and re-masks m(2)/N', async () => {
  const result = await falsePositives(standIn(() => false));
  assert.equal(result.flaggedShare, 0);
  // Every error ratio is 0, never above θ: reverse sampling runs down to t = 1 (ess.md §5.3).
  assert.equal(result.tStar, 1);
  assert.equal(maskedCount(N, T, 2), 42);
  assert.equal(result.remaskedShare, 42 / 45);
  assert.equal(result.tokens, GRIDS * N);
});

test('a prior that fails once 20 tokens are masked stops reverse sampling at t* = 7: m(8)/N = 13/45 re-masked', async () => {
  // m(9) = 7 and m(8) = 13 masked: right (err 0); m(7) = 20 masked: wrong, the error ratio jumps above θ at t = 7.
  const result = await falsePositives(standIn((_position, masked) => masked >= 20));
  assert.equal(result.flaggedShare, 0, 'one masked token at a time: the critic agrees everywhere');
  assert.equal(result.tStar, 7);
  assert.equal(result.remaskedShare, 13 / 45);
});

test('the flagged share counts the real tokens whose critic distance is above 0', async () => {
  // Positions 0..8 are always predicted wrong: 9 of 45 tokens in every grid.
  const result = await falsePositives(standIn((position) => position < 9));
  assert.equal(result.flaggedShare, 9 / 45);
});

test('mismatched sizes are refused', async () => {
  await assert.rejects(
    criticFalsePositives(
      standIn(() => false),
      REAL,
      GRIDS,
      new Float64Array(3),
      {
        steps: T,
        windowRate: 0.3,
        threshold: 1,
      },
    ),
    RangeError,
  );
});
