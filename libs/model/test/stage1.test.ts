import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { SeededRng, initTensorBackend, istft, stft } from '@maskgen/tensor';
import {
  INFERENCE,
  STAGE1_CPU_CONFIG,
  STAGE1_PAPER_CONFIG,
  TimeVQVAE,
  VariableStore,
  conv2dValid,
  createDecoder,
  createQuantizer,
  decode,
  evaluateStage1,
  linearResizeMatrix,
  quantize,
  replicatePad,
  resizeWidthToSpectrogram,
  sampleCodes,
  stage1Schedule,
  stage1Shapes,
  trainStage1,
  upConv,
  validateStage1Config,
  type Stage1Config,
  type StatUpdate,
} from '@maskgen/model';

before(async () => {
  await initTensorBackend('wasm');
});

/** Small enough for unit tests (a step takes tens of ms), same architecture. */
const TINY: Stage1Config = {
  ...STAGE1_PAPER_CONFIG,
  hiddenDim: 8,
  residualUnits: 1,
  codebookSize: 8,
  epochs: 4,
  batchSize: 4,
};

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol * scale,
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

function randomArray(rng: SeededRng, size: number): Float32Array {
  return Float32Array.from({ length: size }, () => rng.normal());
}

/** Row-major NHWC index. */
const at = (shape: readonly number[], b: number, h: number, w: number, c: number): number =>
  ((b * shape[1] + h) * shape[2] + w) * shape[3] + c;

describe('token grid shapes (ess.md §3.3 worked table)', () => {
  test('N_lf and N_hf for every dataset row', () => {
    const table: Array<[string, number, number, number]> = [
      ['GunPoint', 150, 45, 190],
      ['ItalyPowerDemand', 24, 30, 30],
      ['ArrowHead', 251, 35, 155],
      ['ECG200', 96, 60, 120],
      ['CBF', 128, 40, 160],
      ['Coffee', 286, 45, 180],
      ['SyntheticControl', 60, 35, 75],
      ['Beef', 470, 70, 295],
      ['SonyAIBORobotSurface1', 70, 45, 90],
      ['SonyAIBORobotSurface2', 65, 40, 80],
      ['Strawberry', 235, 70, 145],
    ];
    for (const [name, length, nLf, nHf] of table) {
      const s = stage1Shapes(length, STAGE1_PAPER_CONFIG);
      assert.deepEqual([s.lf.tokens, s.hf.tokens], [nLf, nHf], name);
      assert.equal(s.lf.rows * s.lf.columns, s.lf.tokens);
    }
    const gp = stage1Shapes(150, STAGE1_PAPER_CONFIG);
    assert.deepEqual([gp.frames, gp.lf.columns, gp.hf.columns], [76, 9, 38]);
    assert.throws(() => stage1Shapes(4, STAGE1_PAPER_CONFIG), RangeError);
  });

  // Odd lengths (23, 275 = Trace) come back whole: istft is told L (they used to come back one step short).
  for (const length of [24, 23, 96, 150, 275, 286]) {
    test(`L=${length}: encode gives [B, N] int32 grids, decoders return (5, W), decode and forward return L samples`, () => {
      const model = TimeVQVAE.create(TINY, { length, channels: 1 }, new SeededRng(`shape-${length}`));
      const shapes = stage1Shapes(length, TINY);
      const x = tf.randomNormal<tf.Rank.R3>([2, 1, length], 0, 1, 'float32', 1);
      const tokens = model.encode(x);
      assert.deepEqual(tokens.lf.shape, [2, shapes.lf.tokens]);
      assert.deepEqual(tokens.hf.shape, [2, shapes.hf.tokens]);
      assert.equal(tokens.lf.dtype, 'int32');
      const ids = [...tokens.lf.dataSync(), ...tokens.hf.dataSync()];
      assert.ok(ids.every((id) => Number.isInteger(id) && id >= 0 && id < TINY.codebookSize));
      const series = model.decode(tokens);
      assert.deepEqual(series.shape, [2, 1, length]);
      assert.equal(model.tokenShape('lf').columns, shapes.lf.columns);
      const forward = model.forward(x, INFERENCE);
      assert.deepEqual(forward.reconstruction.shape, [2, 1, length]);
      assert.ok(Number.isFinite(forward.losses.total.dataSync()[0]));
      tf.dispose([
        x,
        tokens.lf,
        tokens.hf,
        series,
        forward.reconstruction,
        forward.counts.lf,
        forward.counts.hf,
      ]);
      tf.dispose(Object.values(forward.losses));
      model.dispose();

      // The decoder alone, before the inverse STFT: [B, 2C, 5, W], with the other branch's rows zero.
      const store = new VariableStore();
      const rng = new SeededRng('decoder');
      for (const band of ['lf', 'hf'] as const) {
        const params = createDecoder(store, band, 2, shapes[band].downBlocks, TINY, rng);
        const zq = tf.randomNormal<tf.Rank.R4>([2, 5, shapes[band].columns, TINY.hiddenDim]);
        const u = decode(zq, params, band, shapes.frames, TINY, INFERENCE);
        assert.deepEqual(u.shape, [2, 2, 5, shapes.frames]);
        const rows = u.arraySync();
        const zeroRows = band === 'lf' ? [1, 2, 3, 4] : [0];
        for (const h of zeroRows)
          assert.ok(
            rows[1][1][h].every((v) => v === 0),
            `${band} row ${h} masked`,
          );
        tf.dispose([zq, u]);
      }
      store.dispose();
    });
  }
});

describe('conv building blocks', () => {
  // A linear loss Σ y·R makes the expected gradients exact sums, computed here directly from the definitions.
  for (const [stride, width] of [
    [1, 7],
    [2, 9],
    [2, 10],
  ] as const) {
    test(`conv2dValid stride ${stride}, width ${width}: forward and both gradients match direct sums`, () => {
      const rng = new SeededRng(`conv-${stride}-${width}`);
      const [b, h, cin, cout, kh, kw] = [2, 5, 3, 2, 3, 4];
      const xShape = [b, h, width, cin];
      const outH = h - kh + 1;
      const outW = Math.floor((width - kw) / stride) + 1;
      const yShape = [b, outH, outW, cout];
      const xv = randomArray(rng, b * h * width * cin);
      const wv = randomArray(rng, kh * kw * cin * cout);
      const rv = randomArray(rng, b * outH * outW * cout);
      const wIdx = (i: number, j: number, ci: number, co: number): number =>
        ((i * kw + j) * cin + ci) * cout + co;
      const y = new Float64Array(rv.length);
      const dx = new Float64Array(xv.length);
      const dw = new Float64Array(wv.length);
      for (let bb = 0; bb < b; bb++)
        for (let oh = 0; oh < outH; oh++)
          for (let ow = 0; ow < outW; ow++)
            for (let co = 0; co < cout; co++) {
              const r = rv[at(yShape, bb, oh, ow, co)];
              for (let i = 0; i < kh; i++)
                for (let j = 0; j < kw; j++)
                  for (let ci = 0; ci < cin; ci++) {
                    const xi = at(xShape, bb, oh + i, stride * ow + j, ci);
                    y[at(yShape, bb, oh, ow, co)] += xv[xi] * wv[wIdx(i, j, ci, co)];
                    dx[xi] += wv[wIdx(i, j, ci, co)] * r;
                    dw[wIdx(i, j, ci, co)] += xv[xi] * r;
                  }
            }
      const x = tf.tensor4d(xv, xShape as [number, number, number, number]);
      const w = tf.tensor4d(wv, [kh, kw, cin, cout]);
      const r = tf.tensor4d(rv, yShape as [number, number, number, number]);
      const out = conv2dValid(x, w, stride);
      close(out.dataSync(), y, 1e-4, 'y');
      const [gx, gw] = tf.grads((a: tf.Tensor, k: tf.Tensor) =>
        tf.sum(tf.mul(conv2dValid(a as tf.Tensor4D, k as tf.Tensor4D, stride), r)),
      )([x, w]);
      close(gx.dataSync(), dx, 1e-4, 'dx');
      close(gw.dataSync(), dw, 1e-4, 'dw');
      tf.dispose([x, w, r, out, gx, gw]);
    });
  }

  test('upConv is PyTorch ConvTranspose2d((3,4), stride (1,2), padding 1) with a flipped kernel, gradients included', () => {
    const rng = new SeededRng('upconv');
    const [b, h, w, cin, cout] = [2, 5, 4, 3, 2];
    const xShape = [b, h, w, cin];
    const yShape = [b, h, 2 * w, cout];
    const xv = randomArray(rng, b * h * w * cin);
    const kv = randomArray(rng, 3 * 4 * cin * cout);
    const bias = [0.5, -0.25];
    const rv = randomArray(rng, b * h * 2 * w * cout);
    // torch weight[ci, co, a, c] = kernel[2 − a, 3 − c, ci, co]
    const weight = (ci: number, co: number, a: number, c: number): number =>
      kv[(((2 - a) * 4 + (3 - c)) * cin + ci) * cout + co];
    const y = new Float64Array(rv.length);
    for (let i = 0; i < y.length; i++) y[i] = bias[i % cout];
    const dx = new Float64Array(xv.length);
    for (let bb = 0; bb < b; bb++)
      for (let ih = 0; ih < h; ih++)
        for (let iw = 0; iw < w; iw++)
          for (let ci = 0; ci < cin; ci++)
            for (let co = 0; co < cout; co++)
              for (let a = 0; a < 3; a++)
                for (let c = 0; c < 4; c++) {
                  const oh = ih - 1 + a;
                  const ow = 2 * iw - 1 + c;
                  if (oh < 0 || oh >= h || ow < 0 || ow >= 2 * w) continue;
                  const v = xv[at(xShape, bb, ih, iw, ci)];
                  y[at(yShape, bb, oh, ow, co)] += v * weight(ci, co, a, c);
                  dx[at(xShape, bb, ih, iw, ci)] += weight(ci, co, a, c) * rv[at(yShape, bb, oh, ow, co)];
                }
    const store = new VariableStore();
    const p = {
      kernel: store.param('k', tf.tensor4d(kv, [3, 4, cin, cout])) as tf.Variable<tf.Rank.R4>,
      bias: store.param('b', tf.tensor1d(bias)) as tf.Variable<tf.Rank.R1>,
    };
    const x = tf.tensor4d(xv, xShape as [number, number, number, number]);
    const r = tf.tensor4d(rv, yShape as [number, number, number, number]);
    const out = upConv(x, p);
    assert.deepEqual(out.shape, yShape);
    close(out.dataSync(), y, 1e-4, 'y');
    const gx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(upConv(a as tf.Tensor4D, p), r)))(x);
    close(gx.dataSync(), dx, 1e-4, 'dx');
    tf.dispose([x, r, out, gx]);
    store.dispose();
  });

  test('replicatePad repeats edges and resize matches tf.image.resizeBilinear(alignCorners)', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
    const padded = replicatePad(x, 1);
    assert.deepEqual(padded.shape, [1, 4, 5, 1]);
    assert.deepEqual(
      Array.from(padded.dataSync()),
      [1, 1, 2, 3, 3, 1, 1, 2, 3, 3, 4, 4, 5, 6, 6, 4, 4, 5, 6, 6],
    );

    const src = tf.randomNormal<tf.Rank.R4>([2, 5, 9, 2], 0, 1, 'float32', 5);
    const ours = resizeWidthToSpectrogram(src, 76); // [B, C, 5, 76]
    const reference = tf.transpose(tf.image.resizeBilinear(src, [5, 76], true), [0, 3, 1, 2]);
    close(ours.dataSync(), reference.dataSync(), 1e-5, 'resize');
    const m = linearResizeMatrix(4, 7);
    for (let j = 0; j < 7; j++)
      close([m[j] + m[7 + j] + m[14 + j] + m[21 + j]], [1], 1e-6, `column ${j} sums to 1`);
    tf.dispose([x, padded, src, ours, reference]);
  });
});

describe('EMA quantiser', () => {
  test('nearest codes, straight-through gradient, commitment and the EMA update follow §3.4', () => {
    const store = new VariableStore();
    const q = createQuantizer(store, 'q', 4, 2, new SeededRng('q'));
    q.codebook.assign(tf.tensor2d([0, 0, 10, 0, 0, 10, -10, -10], [4, 2]));
    q.emaSum.assign(q.codebook);
    // z [1, 1, 3, 2]: nearest codes 1, 1, 0; code 2 and 3 unused.
    const zv = [9, 1, 11, -1, 1, 1];
    const z = tf.tensor4d(zv, [1, 1, 3, 2]);
    const updates: StatUpdate[] = [];
    const out = quantize(z, q, 0.8, { training: true, updates });
    assert.deepEqual(Array.from(out.indices.dataSync()), [1, 1, 0]);
    assert.deepEqual(Array.from(out.zq.dataSync()), [10, 0, 10, 0, 0, 0]);
    assert.deepEqual(Array.from(out.counts.dataSync()), [1, 2, 0, 0]);
    close([out.commitment.dataSync()[0]], [(1 + 1 + 1 + 1 + 1 + 1) / 6], 1e-6, 'commitment');
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(quantize(v as tf.Tensor4D, q, 0.8, INFERENCE).zq, 3)))(
      z,
    );
    assert.deepEqual(Array.from(g.dataSync()), [3, 3, 3, 3, 3, 3], 'straight-through');

    // Expected EMA state in float64.
    const cnt = [0.2 * 1, 0.2 * 2, 0, 0];
    const sums = [
      [0.8 * 0 + 0.2 * 1, 0.8 * 0 + 0.2 * 1],
      [0.8 * 10 + 0.2 * 20, 0.8 * 0 + 0.2 * 0],
      [0, 0.8 * 10],
      [0.8 * -10, 0.8 * -10],
    ];
    const total = cnt.reduce((a, b) => a + b);
    const smoothed = cnt.map((c) => ((c + 1e-5) / (total + 4 * 1e-5)) * total);
    const codebook = sums.flatMap((row, k) => row.map((v) => v / smoothed[k]));
    assert.equal(updates.length, 3);
    const values = new Map(updates.map((u) => [u.variable, u.value.dataSync()]));
    close(values.get(q.emaCount) as Float32Array, cnt, 1e-6, 'count');
    close(values.get(q.emaSum) as Float32Array, sums.flat(), 1e-5, 'sum');
    close(values.get(q.codebook) as Float32Array, codebook, 1e-4, 'codebook');
    tf.dispose([z, out.zq, out.indices, out.commitment, out.counts, g, ...updates.map((u) => u.value)]);
    store.dispose();
  });

  test('stochastic codes follow softmax(−distance) and are repeatable for a seed', () => {
    // Two codes at squared distances 0 and ln 3 from every z: P(code 0) = 3/4.
    const codebook = tf.tensor2d([0, 0, Math.sqrt(Math.log(3)), 0], [2, 2]);
    const z = tf.zeros<tf.Rank.R4>([1, 5, 400, 2]);
    const a = sampleCodes(z, codebook, new SeededRng('draw'));
    const b = sampleCodes(z, codebook, new SeededRng('draw'));
    const c = sampleCodes(z, codebook, new SeededRng('other'));
    assert.deepEqual(a.shape, [1, 2000]);
    assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
    assert.notDeepEqual(Array.from(a.dataSync()), Array.from(c.dataSync()));
    const zeros = a.dataSync().filter((id) => id === 0).length / 2000;
    assert.ok(Math.abs(zeros - 0.75) < 0.04, `P(code 0) ≈ ${zeros}`);
    tf.dispose([codebook, z, a, b, c]);
  });
});

describe('TimeVQVAE model', () => {
  const length = 40;
  const count = 12;
  const rng = new SeededRng('model-data');
  // Smooth random series: sums of a few sinusoids, so a tiny model learns them fast.
  const values = new Float32Array(count * length);
  for (let n = 0; n < count; n++) {
    const phase = rng.uniform(0, 2 * Math.PI);
    const amp = rng.uniform(0.5, 2);
    for (let t = 0; t < length; t++) values[n * length + t] = amp * Math.sin((2 * Math.PI * t) / 20 + phase);
  }
  const data = { values, count };

  test('training lowers the loss, keeps tensors stable, reports per-band usage, and stops on abort', async () => {
    const model = TimeVQVAE.create({ ...TINY, epochs: 50 }, { length, channels: 1 }, new SeededRng('m1'));
    const counts: number[] = [];
    const losses: number[] = [];
    const result = await trainStage1(model, data, {
      rng: new SeededRng('batches'),
      onProgress: (p) => {
        counts.push(tf.memory().numTensors);
        losses.push(p.metrics.total);
        for (const key of ['lfUsage', 'hfUsage', 'lfPerplexity', 'hfPerplexity', 'lfTimeMse', 'hfTimeL1']) {
          assert.ok(Number.isFinite(p.metrics[key]), key);
        }
        assert.ok(p.metrics.lfUsage >= 1 && p.metrics.lfUsage <= TINY.codebookSize);
      },
    });
    assert.equal(result.stopReason, 'completed');
    assert.equal(result.stepsDone, 50 * 3);
    assert.ok(
      counts.every((c) => c === counts[0]),
      `numTensors per step: ${counts.slice(0, 5).join(', ')}…`,
    );
    const head = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const tail = losses.slice(-5).reduce((a, b) => a + b) / 5;
    assert.ok(tail < head * 0.5, `loss ${head} → ${tail}`);

    const controller = new AbortController();
    const aborted = await trainStage1(model, data, {
      rng: new SeededRng('batches'),
      signal: controller.signal,
      onProgress: (p) => {
        if (p.step === 3) controller.abort();
      },
    });
    assert.deepEqual([aborted.stopReason, aborted.stepsDone], ['aborted', 3]);
    model.dispose();
  });

  test('checkpoint round trip reproduces encode/decode exactly, including running stats and codebooks', async () => {
    const model = TimeVQVAE.create(TINY, { length, channels: 1 }, new SeededRng('m2'));
    await trainStage1(model, data, { rng: new SeededRng('b') });
    const x = tf.tensor3d(values.subarray(0, 4 * length), [4, 1, length]);
    const bytes = model.serialize({ scaling: { mean: 0, std: 1 } });
    const loaded = TimeVQVAE.deserialize(bytes);
    assert.deepEqual(loaded.config, TINY);
    assert.deepEqual(Object.keys(loaded.store.all()).sort(), Object.keys(model.store.all()).sort());
    const runningVar = Object.entries(model.store.all()).find(([name]) => name.endsWith('running_var'));
    assert.ok(
      runningVar && runningVar[1].dataSync().some((v) => v !== 1),
      'training moved the running stats',
    );

    const t1 = model.encode(x);
    const t2 = loaded.encode(x);
    assert.deepEqual(Array.from(t2.lf.dataSync()), Array.from(t1.lf.dataSync()));
    assert.deepEqual(Array.from(t2.hf.dataSync()), Array.from(t1.hf.dataSync()));
    const y1 = model.decode(t1);
    const y2 = loaded.decode(t1);
    assert.deepEqual(Array.from(y2.dataSync()), Array.from(y1.dataSync()));
    assert.deepEqual(Array.from(loaded.codebookVectors('hf')), Array.from(model.codebookVectors('hf')));
    const corrupted = Buffer.from(bytes);
    corrupted[corrupted.length - 40] ^= 1;
    assert.throws(() => TimeVQVAE.deserialize(corrupted));
    tf.dispose([x, t1.lf, t1.hf, t2.lf, t2.hf, y1, y2]);
    model.dispose();
    loaded.dispose();
  });

  test('encode, encodeStochastic and decode leak nothing; stochastic tokens are seeded; codebook exposed', () => {
    const model = TimeVQVAE.create(TINY, { length, channels: 1 }, new SeededRng('m3'));
    const x = tf.tensor3d(values.subarray(0, 3 * length), [3, 1, length]);
    const run = (): void => {
      const t = model.encode(x);
      const s = model.encodeStochastic(x, new SeededRng('s'));
      const y = model.decode(s);
      tf.dispose([t.lf, t.hf, s.lf, s.hf, y]);
    };
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    assert.equal(tf.memory().numTensors, before);

    const s1 = model.encodeStochastic(x, new SeededRng(7));
    const s2 = model.encodeStochastic(x, new SeededRng(7));
    assert.deepEqual(Array.from(s1.lf.dataSync()), Array.from(s2.lf.dataSync()));
    assert.deepEqual(Array.from(s1.hf.dataSync()), Array.from(s2.hf.dataSync()));
    assert.equal(model.codebookSize, TINY.codebookSize);
    assert.deepEqual(model.codebook('lf').shape, [TINY.codebookSize, TINY.hiddenDim]);
    assert.equal(model.codebookVectors('lf').length, TINY.codebookSize * TINY.hiddenDim);
    assert.throws(() => model.encode(tf.zeros<tf.Rank.R3>([1, 1, length + 1])), /expected series/);
    tf.dispose([x, s1.lf, s1.hf, s2.lf, s2.hf]);
    model.dispose();
  });

  test('evaluation compares against the STFT round trip; config validation and schedule', () => {
    const model = TimeVQVAE.create(TINY, { length, channels: 1 }, new SeededRng('m4'));
    const result = evaluateStage1(model, { values: values.subarray(0, 5 * length), count: 5 }, 2);
    assert.ok(result.mse > 0 && Number.isFinite(result.mse));
    assert.ok(result.usage.lf >= 1 && result.usage.hf >= 1);
    model.dispose();
    // The round trip itself is exact, so the reference in evaluateStage1 is x.
    const x = tf.tensor3d(values.subarray(0, length), [1, 1, length]);
    const back = tf.tidy(() => istft(stft(x), length));
    close(back.dataSync(), x.dataSync(), 1e-4, 'round trip');
    tf.dispose([x, back]);

    assert.throws(() => validateStage1Config({ ...TINY, hiddenDim: 0, emaDecay: 1 }), /hiddenDim.*emaDecay/);
    validateStage1Config(STAGE1_CPU_CONFIG);
    const s = stage1Schedule(STAGE1_PAPER_CONFIG, 50);
    assert.deepEqual(s, { totalSteps: 2000, stepsPerEpoch: 1, period: 4000 });
    const capped = stage1Schedule({ ...STAGE1_PAPER_CONFIG, maxSteps: 100 }, 50);
    assert.deepEqual(capped, { totalSteps: 100, stepsPerEpoch: 1, period: 200 });
  });
});
