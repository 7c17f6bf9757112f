import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { SeededRng, initTensorBackend, randomNormalTensor } from '@maskgen/tensor';
import {
  type CriticContext,
  ESS_DEFAULTS,
  type EssVariant,
  type PriorShapes,
  TimeVqPrior,
  bottomK,
  codeDistanceTable,
  criticScores,
  criticalResample,
  criticalReverse,
  generateSamples,
  gumbel,
  maskedCount,
  naiveDecode,
  reverseScore,
  selfTokenCritic,
  stepStreams,
  tfjsBranchRunner,
} from '@maskgen/model';

// Invariants of ess.md §5.2–§5.5 and §8.5–§8.8, §8.11 on a tiny random-weight prior (weights do not matter here).
const SHAPES: PriorShapes = {
  lfTokens: 20,
  hfTokens: 30,
  lfCodebookSize: 8,
  hfCodebookSize: 8,
  codeDim: 16,
  numClasses: 2,
};
const NETWORK = { width: 32, layers: 1, heads: 2, headDim: 16, ffMult: 1, classDropout: 0.2 };
const SAMPLING = { steps: 10, choiceTemperature: 4, guidanceScale: 1 };
const B = 6;
const N = SHAPES.lfTokens;
const K = SHAPES.lfCodebookSize;

let prior: TimeVqPrior;
let codebooks: { lf: tf.Tensor2D; hf: tf.Tensor2D };
let ctx: CriticContext;
let baseline: number;

before(async () => {
  await initTensorBackend('wasm');
  baseline = tf.memory().numTensors;
  const rng = new SeededRng(3);
  codebooks = {
    lf: randomNormalTensor([K, SHAPES.codeDim], rng.fork('lf')) as tf.Tensor2D,
    hf: randomNormalTensor([K, SHAPES.codeDim], rng.fork('hf')) as tf.Tensor2D,
  };
  prior = new TimeVqPrior(SHAPES, NETWORK, codebooks, rng.fork('prior'));
  ctx = {
    prior: prior.lf,
    distances: codeDistanceTable(codebooks.lf),
    codeDim: SHAPES.codeDim,
    rowsPerPass: 37,
  };
});

after(() => {
  prior.dispose();
  tf.dispose([codebooks.lf, codebooks.hf]);
  assert.equal(tf.memory().numTensors, baseline, 'no tensor leaks');
});

const CLASSES = Int32Array.from({ length: B }, (_, i) => i % 2);

function randomGrid(seed: number, b = B, n = N, k = K): Int32Array {
  const rng = new SeededRng(seed);
  return Int32Array.from({ length: b * n }, () => Math.floor(rng.next() * k));
}

test('critic: batched masked copies equal the one-by-one definition; rows sum to 1 in (0, 1]', async () => {
  const s = randomGrid(1);
  const { scores, distances } = await selfTokenCritic(ctx, s, B, CLASSES);
  const table = codeDistanceTable(codebooks.lf);
  const code = codebooks.lf.arraySync();
  for (let b = 0; b < 2; b++) {
    for (let n = 0; n < N; n++) {
      const masked = s.slice(b * N, (b + 1) * N);
      masked[n] = K;
      const logits = await tfjsBranchRunner(prior.lf).logitsOf({
        batch: 1,
        tokens: masked,
        classes: CLASSES.slice(b, b + 1),
      });
      // argmax over K at position n, first index on ties (as tf.argMax).
      const at = logits.subarray(n * K, (n + 1) * K);
      const pred = at.indexOf(Math.max(...at));
      const direct = code[s[b * N + n]].reduce((sum, v, j) => sum + (v - code[pred][j]) ** 2, 0);
      assert.ok(Math.abs(distances[b * N + n] - direct) < 1e-4 * (1 + direct), `b ${b} n ${n}`);
      assert.equal(distances[b * N + n], table[s[b * N + n] * K + pred]);
    }
  }
  for (let b = 0; b < B; b++) {
    const row = scores.subarray(b * N, (b + 1) * N);
    assert.ok(Math.abs(row.reduce((a, v) => a + v, 0) - 1) < 1e-12);
    assert.ok(row.every((v) => v > 0 && v <= 1));
  }
  // Chunking of the masked copies does not change anything.
  const oneByOne = await selfTokenCritic(
    { ...ctx, rowsPerPass: 1 },
    s.subarray(0, 2 * N),
    2,
    CLASSES.slice(0, 2),
  );
  assert.deepEqual(oneByOne.distances, distances.subarray(0, 2 * N));
});

test('critic scores: all 1/N when the prior agrees everywhere; a larger distance lowers only its own score', () => {
  const zero = criticScores(new Float64Array(2 * N), 2, N);
  assert.ok(zero.every((v) => Math.abs(v - 1 / N) < 1e-15));
  const dist = Float64Array.from({ length: N }, (_, i) => (i * 7) % 5);
  const base = criticScores(dist, 1, N);
  const raised = dist.slice();
  raised[4] += 2;
  const next = criticScores(raised, 1, N);
  for (let n = 0; n < N; n++) assert.ok(n === 4 ? next[n] < base[n] : next[n] > base[n], `position ${n}`);
});

test('critic temperature (study knob): softmax of −dist/T; 1 is the spec, large T flattens, T ≤ 0 is refused', () => {
  const dist = Float64Array.from({ length: 2 * N }, (_, i) => ((i * 7) % 5) * 3);
  assert.deepEqual(criticScores(dist, 2, N, 1), criticScores(dist, 2, N));
  const halved = dist.map((d) => d / 2);
  const atTwo = criticScores(dist, 2, N, 2);
  const reference = criticScores(halved, 2, N);
  for (let j = 0; j < atTwo.length; j++) assert.ok(Math.abs(atTwo[j] - reference[j]) < 1e-15, `entry ${j}`);
  // Flatter, same order: the spread shrinks towards 1/N while the ranking of positions stays.
  const spread = (v: Float64Array): number => Math.max(...v.subarray(0, N)) - Math.min(...v.subarray(0, N));
  const hot = criticScores(dist, 2, N, 50);
  assert.ok(spread(hot) < spread(criticScores(dist, 2, N)));
  assert.ok(hot.every((v) => Math.abs(v - 1 / N) < 0.5 / N));
  for (let n = 1; n < N; n++)
    assert.equal(Math.sign(hot[n] - hot[0]), Math.sign(reference[n] - reference[0]));
  for (const bad of [0, -1, Number.NaN, Infinity]) {
    assert.throws(() => criticScores(dist, 2, N, bad), /critic temperature must be a positive finite number/);
  }
});

test('reverse sampling masks exactly the m(t*+1) lowest-critic tokens; t* follows the stopping rule', async () => {
  const s = randomGrid(2);
  const { scores } = await selfTokenCritic(ctx, s, B, CLASSES);
  const options = { steps: 10, windowRate: 0.3, threshold: 1, classes: CLASSES };
  const result = await criticalReverse(ctx, s, B, scores, options);
  const again = await criticalReverse(ctx, s, B, scores, options);
  assert.deepEqual(again, result, 'deterministic');
  assert.ok(result.tStar >= 1 && result.tStar <= 9);
  const score = reverseScore(scores);
  const count = maskedCount(N, 10, result.tStar + 1);
  for (let b = 0; b < B; b++) {
    // Independent selection: sort positions by (score, index).
    const order = Array.from({ length: N }, (_, n) => n).sort(
      (x, y) => score[b * N + x] - score[b * N + y] || x - y,
    );
    const chosen = new Set(order.slice(0, count));
    for (let n = 0; n < N; n++) {
      const masked = result.ids[b * N + n] === K;
      assert.equal(masked, chosen.has(n), `sample ${b} position ${n}`);
      assert.equal(result.remasked[b * N + n], masked ? 1 : 0);
      if (!masked) assert.equal(result.ids[b * N + n], s[b * N + n]);
    }
  }
  // Nested sets Mt ⊆ Mtm1 for every t.
  for (let t = 1; t < 10; t++) {
    const mt = bottomK(score, B, N, maskedCount(N, 10, t + 1));
    const mtm1 = bottomK(score, B, N, maskedCount(N, 10, t));
    assert.ok(mt.every((v, j) => v <= mtm1[j]));
  }
  // The stopping rule on the reported errors: t* is the first t < T−1 whose moving average of the last q = 3
  // error ratios exceeds θ, else 1.
  const errs = result.errors;
  assert.equal(errs[0].t, 9);
  const ratios: number[] = [];
  let expected = 1;
  for (let i = 1; i < errs.length; i++) {
    ratios.push(errs[i].err / (errs[i - 1].err + 1e-5));
    const window = ratios.slice(-3);
    const ma = window.reduce((a, v) => a + v, 0) / window.length;
    assert.ok(Math.abs(ma - errs[i].movingAverage) < 1e-12);
    if (ma > 1) {
      expected = errs[i].t;
      break;
    }
  }
  assert.equal(result.tStar, expected);
  // θ = −∞ stops at the first comparable step (T−2); θ = +∞ traces back to 1.
  assert.equal((await criticalReverse(ctx, s, B, scores, { ...options, threshold: -Infinity })).tStar, 8);
  assert.equal((await criticalReverse(ctx, s, B, scores, { ...options, threshold: Infinity })).tStar, 1);
});

/** s* of §5.3 for a given t*: the m(t*+1) lowest-critic tokens of s re-masked. */
function sStarFor(
  s: Int32Array,
  scores: Float64Array,
  tStar: number,
): { sStar: Int32Array; remask: Uint8Array } {
  const remask = bottomK(reverseScore(scores), B, N, maskedCount(N, 10, tStar + 1));
  return { sStar: s.map((id, j) => (remask[j] === 1 ? K : id)), remask };
}

interface Step {
  readonly t: number;
  readonly state: Int32Array;
  readonly draw: Int32Array;
}

test('R resampling (default): every position is redrawn, the critic scores the whole draw, the lowest m(t+1) are re-masked anywhere; the t* iteration runs', async () => {
  const s = randomGrid(4);
  const { scores } = await selfTokenCritic(ctx, s, B, CLASSES);
  let visibleRedrawn = 0;
  let visibleRemasked = 0;
  for (const tStar of [1, 5, 8]) {
    const { sStar } = sStarFor(s, scores, tStar);
    const rng = new SeededRng(9).fork('ess-lf');
    const common = {
      tStar,
      config: SAMPLING,
      classes: CLASSES,
      guide: true,
      rng,
      firstIndex: 0,
      drawRows: 4,
    };
    const steps: Step[] = [];
    // skipNoOpStep is D's shortcut: under R the t* iteration re-selects among a fresh draw and must run.
    const out = await criticalResample(ctx, sStar, B, {
      ...common,
      keepVisible: false,
      skipNoOpStep: true,
      onStep: (t, state, draw) => steps.push({ t, state, draw }),
    });
    assert.deepEqual(
      steps.map((step) => step.t),
      Array.from({ length: 10 - tStar }, (_, i) => tStar + i),
      'iterations t*..T−1',
    );
    let previous = sStar;
    for (const { t, state, draw } of steps) {
      assert.ok(!draw.includes(K), `t ${t}: a full draw`);
      // What is re-masked: the m(t+1) lowest of ln(c + 1e-5) + τ(1 − r)·gumbel over ALL positions (no +∞ on known
      // ones), c the critic of the whole draw, the Gumbel noise from each sample's own stream.
      const { scores: c } = await selfTokenCritic(ctx, draw, B, CLASSES);
      const r = (t + 1) / 10;
      const streams = stepStreams(rng, 0, B, t);
      const score = new Float64Array(B * N);
      for (let b = 0; b < B; b++) {
        const g = streams[b].fork('choice');
        for (let j = b * N; j < (b + 1) * N; j++) score[j] = Math.log(c[j] + 1e-5) + 4 * (1 - r) * gumbel(g);
      }
      const expected = bottomK(score, B, N, maskedCount(N, 10, t + 1));
      for (let j = 0; j < state.length; j++) {
        assert.equal(state[j], expected[j] === 1 ? K : draw[j], `t ${t} position ${j}`);
        if (previous[j] !== K && draw[j] !== previous[j]) visibleRedrawn++;
        if (previous[j] !== K && state[j] === K) visibleRemasked++;
      }
      previous = state;
    }
    assert.ok(!out.includes(K));
    assert.deepEqual(out, steps[steps.length - 1].state);

    // At t* R and D see the same s* and logits: D keeps the visible ids, R draws them afresh from the same noise.
    let dFirst: Int32Array | undefined;
    await criticalResample(ctx, sStar, B, {
      ...common,
      rng: new SeededRng(9).fork('ess-lf'),
      keepVisible: true,
      skipNoOpStep: false,
      onStep: (t, _state, draw) => {
        if (t === tStar) dFirst = draw;
      },
    });
    assert.ok(dFirst);
    for (let j = 0; j < sStar.length; j++) {
      assert.equal(dFirst[j], sStar[j] === K ? steps[0].draw[j] : sStar[j], `t* draw, position ${j}`);
    }
  }
  assert.ok(visibleRedrawn > 0, 'R changes visible tokens');
  assert.ok(visibleRemasked > 0, 'R re-masks positions that were visible');
});

test('D resampling (keep-visible): only re-masked tokens change, follows m(t+1), skipping the t* no-op is exact', async () => {
  const s = randomGrid(4);
  const { scores } = await selfTokenCritic(ctx, s, B, CLASSES);
  for (const tStar of [1, 5, 8]) {
    const { sStar, remask } = sStarFor(s, scores, tStar);
    const counts: number[] = [];
    const common = {
      tStar,
      config: SAMPLING,
      classes: CLASSES,
      guide: true,
      keepVisible: true,
      rng: new SeededRng(9).fork('ess-lf'),
      firstIndex: 0,
      drawRows: 4,
    };
    const out = await criticalResample(ctx, sStar, B, {
      ...common,
      skipNoOpStep: false,
      onStep: (t, state) => {
        for (let b = 0; b < B; b++) {
          const masked = state.subarray(b * N, (b + 1) * N).filter((id) => id === K).length;
          assert.equal(masked, maskedCount(N, 10, t + 1), `t ${t}`);
        }
        if (t === tStar) assert.deepEqual(state, sStar, 'the t* iteration is a no-op under D');
        counts.push(t);
      },
    });
    assert.deepEqual(
      counts,
      Array.from({ length: 10 - tStar }, (_, i) => tStar + i),
    );
    assert.ok(!out.includes(K));
    for (let j = 0; j < s.length; j++) if (remask[j] === 0) assert.equal(out[j], s[j], `visible token ${j}`);
    const skipped = await criticalResample(ctx, sStar, B, { ...common, skipNoOpStep: true });
    assert.deepEqual(skipped, out);
  }
});

test('sampler: naive reproduces naiveDecode bit for bit; ESS starts from the same s_T, is seeded and chunk-free', async () => {
  const rng = new SeededRng(11);
  const reference = await naiveDecode(prior, { count: B, classes: CLASSES, config: SAMPLING, rng });
  const naive = await generateSamples(prior, codebooks, { method: 'naive', count: B, classes: CLASSES, rng });
  assert.deepEqual(naive.lf, reference.lf.ids);
  assert.deepEqual(naive.hf, reference.hf.ids);
  assert.equal(naive.critic, null);
  assert.equal(naive.essConfig, null);
  assert.equal(naive.priorPasses.lf, 10 * 2 * B);
  const ess = await generateSamples(prior, codebooks, { method: 'ess', count: B, classes: CLASSES, rng });
  assert.deepEqual(ess.naive.lf.ids, reference.lf.ids, 'ESS starts from the naive s_T');
  assert.ok(ess.ess?.lf && ess.critic?.lf);
  assert.ok(!ess.lf.includes(K) && !ess.hf.includes(K));
  assert.equal(ess.ess.hf, null, "applyTo defaults to 'lf'");
  // Small memory budget: 1-sample draw chunks and tiny critic passes give the same output.
  const chunked = await generateSamples(prior, codebooks, {
    method: 'ess',
    count: B,
    classes: CLASSES,
    rng,
    memoryBudgetBytes: 1,
  });
  assert.deepEqual(chunked.lf, ess.lf);
  assert.deepEqual(chunked.hf, ess.hf);
  // Critic temperature 1 is the spec's critic; a large one flattens it to uniform.
  const withTemperature = (criticTemperature: number) =>
    generateSamples(prior, codebooks, {
      method: 'ess',
      count: B,
      classes: CLASSES,
      rng,
      ess: { criticTemperature },
    });
  assert.deepEqual((await withTemperature(1)).lf, ess.lf);
  const flat = await withTemperature(1e9);
  assert.ok(!flat.lf.includes(K));
  assert.ok(
    flat.critic!.lf!.before.every((v) => Math.abs(v - 1 / N) < 1e-6),
    'T → ∞ gives the uniform critic',
  );
  await assert.rejects(withTemperature(0), /ess.criticTemperature must be a positive finite number/);
});

test('sampler: a bad sampling config is refused before any pass, for naive and ESS alike', async () => {
  for (const method of ['naive', 'ess'] as const) {
    for (const [sampling, message] of [
      [{ choiceTemperature: Number.NaN }, /^choiceTemperature must be a finite number ≥ 0, got NaN$/],
      [{ guidanceScale: -0.5 }, /^guidanceScale must be a finite number ≥ 0, got -0.5$/],
      [{ steps: 2.5 }, /^steps must be a positive integer, got 2.5$/],
    ] as const) {
      await assert.rejects(
        generateSamples(prior, codebooks, {
          method,
          count: B,
          classes: CLASSES,
          rng: new SeededRng(3),
          sampling,
        }),
        (error: unknown) => error instanceof RangeError && message.test(error.message),
        `${method} ${JSON.stringify(sampling)}`,
      );
    }
  }
});

test('sampler: R is the default variant (ess.md §10): any token may change, and it reports its resolved settings', async () => {
  const rng = new SeededRng(11);
  const options = { method: 'ess', count: B, classes: CLASSES, rng } as const;
  assert.equal(ESS_DEFAULTS.variant, 'R');
  const byDefault = await generateSamples(prior, codebooks, options);
  const r = await generateSamples(prior, codebooks, { ...options, ess: { variant: 'R' } });
  assert.deepEqual(byDefault.lf, r.lf);
  assert.deepEqual(byDefault.hf, r.hf);
  assert.deepEqual(byDefault.essConfig, ESS_DEFAULTS, 'defaults applied and reported');
  assert.deepEqual(
    (await generateSamples(prior, codebooks, { ...options, ess: { variant: 'D', threshold: 2 } })).essConfig,
    { ...ESS_DEFAULTS, variant: 'D', threshold: 2 },
  );
  const info = r.ess!.lf!;
  const s = r.naive.lf.ids;
  assert.ok(
    r.lf.some((id, j) => info.remasked[j] === 0 && id !== s[j]),
    'R changes tokens that reverse sampling left visible',
  );
  await assert.rejects(
    generateSamples(prior, codebooks, { ...options, ess: { variant: 'X' as EssVariant } }),
    /ess.variant must be one of R, D, got X/,
  );
});

test('sampler: D keeps every token reverse sampling left visible, on LF and (lf+hf) HF', async () => {
  const rng = new SeededRng(11);
  const d = await generateSamples(prior, codebooks, {
    method: 'ess',
    count: B,
    classes: CLASSES,
    rng,
    ess: { variant: 'D' },
  });
  const info = d.ess!.lf!;
  for (let j = 0; j < d.lf.length; j++) {
    if (info.remasked[j] === 0) assert.equal(d.lf[j], d.naive.lf.ids[j], 'kept tokens never change');
  }
  // lf+hf refines HF too, conditioned on the final LF.
  for (const variant of ['D', 'R'] as const) {
    const both = await generateSamples(prior, codebooks, {
      method: 'ess',
      count: B,
      classes: null,
      rng,
      ess: { applyTo: 'lf+hf', variant },
    });
    const hfInfo = both.ess?.hf;
    assert.ok(hfInfo !== undefined && hfInfo !== null);
    assert.ok(!both.hf.includes(SHAPES.hfCodebookSize));
    if (variant === 'D') {
      for (let j = 0; j < both.hf.length; j++) {
        if (hfInfo.remasked[j] === 0) assert.equal(both.hf[j], both.naive.hf.ids[j]);
      }
    }
  }
});

test('sampler: LF prior passes equal the §9 formula, R runs T − t* resampling iterations and D T − t* − 1', async () => {
  // Per sample, guided passes counting twice (classes given): naive T draws; the critic N on s_T (and N on the
  // output, for the recorded view); one pass per reverse step; per resampling iteration one draw + N critic passes.
  for (const variant of ['R', 'D'] as const) {
    const out = await generateSamples(prior, codebooks, {
      method: 'ess',
      count: B,
      classes: CLASSES,
      rng: new SeededRng(11),
      ess: { variant },
    });
    const info = out.ess!.lf!;
    const iterations = variant === 'R' ? 10 - info.tStar : 10 - info.tStar - 1;
    const expected = 10 * 2 * B + 2 * N * B + info.errors.length * B + iterations * (2 * B + N * B);
    assert.equal(out.priorPasses.lf, expected, variant);
  }
  // fixedTStar pins t*, so both counts are known numbers: R's iteration at t* = 6 costs one draw and one critic call.
  const pinned = (variant: EssVariant) =>
    generateSamples(prior, codebooks, {
      method: 'ess',
      count: B,
      classes: CLASSES,
      rng: new SeededRng(11),
      ess: { variant, fixedTStar: 6 },
    });
  const [r, d] = [await pinned('R'), await pinned('D')];
  assert.equal(r.ess!.lf!.tStar, 6);
  assert.equal(r.priorPasses.lf - d.priorPasses.lf, 2 * B + N * B);
});

test('sampler: an aborted signal rejects and leaves no tensors', async () => {
  const before = tf.memory().numTensors;
  const controller = new AbortController();
  const run = generateSamples(prior, codebooks, {
    method: 'ess',
    count: B,
    classes: null,
    rng: new SeededRng(1),
    signal: controller.signal,
  });
  setImmediate(() => controller.abort());
  await assert.rejects(run);
  assert.equal(tf.memory().numTensors, before);
});

test('sampler: per-sample t* (optional, off by default) — each sample stops on its own error, invariants hold', async () => {
  const rng = new SeededRng(21);
  const shared = await generateSamples(prior, codebooks, { method: 'ess', count: B, classes: CLASSES, rng });
  const sharedInfo = shared.ess!.lf!;
  assert.deepEqual(Array.from(sharedInfo.tStarPerSample), new Array<number>(B).fill(sharedInfo.tStar));

  const own = await generateSamples(prior, codebooks, {
    method: 'ess',
    count: B,
    classes: CLASSES,
    rng,
    ess: { perSampleTStar: true },
  });
  const info = own.ess!.lf!;
  assert.deepEqual(own.naive.lf.ids, shared.naive.lf.ids, 'same naive start');
  const before = own.critic!.lf!.before;
  for (let i = 0; i < B; i++) {
    const alone = await criticalReverse(
      ctx,
      own.naive.lf.ids.subarray(i * N, (i + 1) * N),
      1,
      before.subarray(i * N, (i + 1) * N),
      { steps: 10, windowRate: 0.3, threshold: 1, classes: CLASSES.slice(i, i + 1) },
    );
    assert.equal(info.tStarPerSample[i], alone.tStar, `sample ${i}: its own t*`);
    const remasked = info.remasked.subarray(i * N, (i + 1) * N);
    assert.equal(
      remasked.reduce((a, v) => a + v, 0),
      maskedCount(N, 10, alone.tStar + 1),
    );
  }
  assert.equal(info.tStar, Math.min(...info.tStarPerSample));
  assert.ok(!own.lf.includes(K));
  // D with per-sample t*: each group of equal t* keeps its visible tokens.
  const d = await generateSamples(prior, codebooks, {
    method: 'ess',
    count: B,
    classes: CLASSES,
    rng,
    ess: { perSampleTStar: true, variant: 'D' },
  });
  assert.deepEqual(Array.from(d.ess!.lf!.tStarPerSample), Array.from(info.tStarPerSample));
  for (let j = 0; j < d.lf.length; j++) {
    if (d.ess!.lf!.remasked[j] === 0) assert.equal(d.lf[j], d.naive.lf.ids[j], 'kept tokens never change');
  }
  // One sample: per-sample and shared t* are the same computation, bit for bit.
  const one = { method: 'ess', count: 1, classes: CLASSES.slice(0, 1), rng } as const;
  const a = await generateSamples(prior, codebooks, one);
  const b = await generateSamples(prior, codebooks, { ...one, ess: { perSampleTStar: true } });
  assert.deepEqual(b.lf, a.lf);
  assert.deepEqual(b.hf, a.hf);
});
