import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  SeededRng,
  highFrequencyView,
  initTensorBackend,
  istft,
  lowFrequencyView,
  splitFrequencyBands,
  stft,
  stftFrameCount,
} from '../src';

type Series = number[][][]; // [B][C][L]
type Spectrogram = number[][][][]; // [B][2C][5][W]

function randomSeries(rng: SeededRng, b: number, c: number, l: number): Series {
  return Array.from({ length: b }, () =>
    Array.from({ length: c }, () => Array.from({ length: l }, () => rng.normal())),
  );
}

/** Direct double-precision implementation of ess.md §3.1, forward. */
function referenceStft(x: Series): Spectrogram {
  return x.map((channels) =>
    channels.flatMap((series) => {
      const l = series.length;
      // Reflect padding by 4 without repeating the edge sample.
      const at = (i: number): number => series[i < 0 ? -i : i >= l ? 2 * (l - 1) - i : i];
      const frames = Math.floor(l / 2) + 1;
      const re = Array.from({ length: 5 }, () => new Array<number>(frames).fill(0));
      const im = Array.from({ length: 5 }, () => new Array<number>(frames).fill(0));
      for (let w = 0; w < frames; w++) {
        for (let k = 0; k < 5; k++) {
          for (let n = 0; n < 8; n++) {
            const v = at(2 * w + n - 4);
            re[k][w] += v * Math.cos((2 * Math.PI * k * n) / 8);
            im[k][w] -= v * Math.sin((2 * Math.PI * k * n) / 8);
          }
        }
      }
      return [re, im];
    }),
  );
}

/** Direct double-precision inverse: irfft (ignoring imag of DC/Nyquist), overlap-add, coverage, crop to length. */
function referenceIstft(s: Spectrogram, length: number): Series {
  return s.map((stacked) => {
    const out: number[][] = [];
    for (let c = 0; c < stacked.length / 2; c++) {
      const re = stacked[2 * c];
      const im = stacked[2 * c + 1];
      const frames = re[0].length;
      const total = 2 * (frames - 1) + 8;
      const sum = new Array<number>(total).fill(0);
      const count = new Array<number>(total).fill(0);
      for (let w = 0; w < frames; w++) {
        for (let n = 0; n < 8; n++) {
          let v = re[0][w] + re[4][w] * Math.cos(Math.PI * n);
          for (let k = 1; k < 4; k++) {
            const a = (2 * Math.PI * k * n) / 8;
            v += 2 * (re[k][w] * Math.cos(a) - im[k][w] * Math.sin(a));
          }
          sum[2 * w + n] += v / 8;
          count[2 * w + n] += 1;
        }
      }
      out.push(sum.map((v, i) => v / count[i]).slice(4, 4 + length));
    }
    return out;
  });
}

function maxAbsDiff(a: tf.Tensor, b: number[] | Float32Array): number {
  const values = a.dataSync();
  assert.equal(values.length, b.length);
  let worst = 0;
  for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i] - b[i]));
  return worst;
}

function flat(nested: unknown): number[] {
  return (nested as unknown[]).flat(Infinity) as number[];
}

describe('stft / istft (ess.md §3.1)', () => {
  before(async () => {
    await initTensorBackend('wasm');
  });

  for (const length of [16, 13, 24, 5]) {
    test(`forward matches a direct DFT, L=${length}`, () => {
      const x = randomSeries(new SeededRng(`stft-${length}`), 2, 3, length);
      const xs = tf.tensor3d(x);
      const s = stft(xs);
      const w = stftFrameCount(length);
      assert.deepEqual(s.shape, [2, 6, 5, w]);
      assert.equal(w, Math.floor(length / 2) + 1);
      assert.ok(maxAbsDiff(s, flat(referenceStft(x))) < 1e-4);
      tf.dispose([xs, s]);
    });
  }

  for (const length of [16, 17]) {
    test(`inverse matches a direct irfft + overlap-add on an arbitrary spectrogram, L=${length}`, () => {
      const rng = new SeededRng('istft-ref');
      const spec: Spectrogram = Array.from({ length: 2 }, () =>
        Array.from({ length: 4 }, () =>
          Array.from({ length: 5 }, () => Array.from({ length: 9 }, () => rng.normal())),
        ),
      );
      const s = tf.tensor4d(spec);
      const y = istft(s, length);
      assert.deepEqual(y.shape, [2, 2, length]);
      assert.ok(maxAbsDiff(y, flat(referenceIstft(spec, length))) < 1e-4);
      tf.dispose([s, y]);
    });
  }

  test('round trip gives back every sample, odd and even L', () => {
    const rng = new SeededRng('roundtrip');
    for (const length of [128, 150, 251, 275, 7, 5]) {
      const x = tf.tensor3d(randomSeries(rng, 3, 2, length));
      const s = stft(x);
      const y = istft(s, length);
      assert.deepEqual(y.shape, [3, 2, length]);
      assert.ok(maxAbsDiff(y, x.dataSync() as Float32Array) < 1e-5, `L=${length}`);
      tf.dispose([x, s, y]);
    }
  });

  test('LF/HF views zero the right rows and their inverses sum to the full inverse', () => {
    const x = tf.tensor3d(randomSeries(new SeededRng('split'), 2, 1, 40));
    const s = stft(x);
    const { lf, hf } = splitFrequencyBands(s);
    const lfRows = tf.slice(lf, [0, 0, 1, 0], [2, 2, 4, 21]);
    const hfRow = tf.slice(hf, [0, 0, 0, 0], [2, 2, 1, 21]);
    assert.equal(tf.max(tf.abs(lfRows)).dataSync()[0], 0);
    assert.equal(tf.max(tf.abs(hfRow)).dataSync()[0], 0);
    assert.ok(maxAbsDiff(tf.add(lf, hf), s.dataSync() as Float32Array) === 0);
    const xl = istft(lf, 40);
    const xh = istft(hf, 40);
    assert.ok(maxAbsDiff(tf.add(xl, xh), x.dataSync() as Float32Array) < 1e-5);
    // The DC-only view is a smoothed series, not zero and not the input.
    assert.ok(tf.max(tf.abs(xl)).dataSync()[0] > 1e-3);
    assert.ok(tf.max(tf.abs(xh)).dataSync()[0] > 1e-3);
    tf.dispose([x, s, lf, hf, lfRows, hfRow, xl, xh]);
  });

  // 13: the odd length's last sample reaches the loss (and gets a gradient) through istft(·, 13).
  for (const length of [12, 13]) {
    test(`gradients flow through stft and istft and match finite differences, L=${length}`, () => {
      const rng = new SeededRng('grad');
      const x = tf.tensor3d(randomSeries(rng, 1, 1, length));
      const weights = tf.tensor4d(
        Array.from({ length: 2 * 5 * 7 }, () => rng.normal()),
        [1, 2, 5, 7],
      );
      const outWeights = tf.tensor3d(
        Array.from({ length }, () => rng.normal()),
        [1, 1, length],
      );
      // Quadratic in x so central differences are exact up to float32 rounding.
      const loss = (input: tf.Tensor3D): tf.Scalar =>
        tf.tidy(() => {
          const s = stft(input);
          const back = istft(tf.mul<tf.Tensor4D>(s, weights), length);
          return tf.add(tf.sum(tf.mul(weights, tf.square(s))), tf.sum(tf.mul(outWeights, tf.square(back))));
        });
      const grad = tf.grad((input: tf.Tensor) => loss(input as tf.Tensor3D))(x);
      const g = grad.dataSync();
      assert.ok(g.every(Number.isFinite));
      assert.ok(g.some((v) => Math.abs(v) > 1e-3));
      const base = x.dataSync();
      const eps = 0.05;
      for (const i of [0, 3, 6, length - 1]) {
        const plus = Float32Array.from(base);
        const minus = Float32Array.from(base);
        plus[i] += eps;
        minus[i] -= eps;
        const xp = tf.tensor3d(plus, [1, 1, length]);
        const xm = tf.tensor3d(minus, [1, 1, length]);
        const lp = loss(xp);
        const lm = loss(xm);
        const numeric = (lp.dataSync()[0] - lm.dataSync()[0]) / (2 * eps);
        assert.ok(
          Math.abs(numeric - g[i]) < 2e-2 * Math.max(1, Math.abs(numeric)),
          `entry ${i}: ${numeric} vs ${g[i]}`,
        );
        tf.dispose([xp, xm, lp, lm]);
      }
      tf.dispose([x, weights, outWeights, grad]);
    });
  }

  test('istft gradient w.r.t. the spectrogram is finite and non-zero', () => {
    const rng = new SeededRng('grad-s');
    const s = tf.tensor4d(
      Array.from({ length: 2 * 5 * 9 }, () => rng.normal()),
      [1, 2, 5, 9],
    );
    const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.square(istft(input as tf.Tensor4D, 16))))(s);
    const g = grad.dataSync();
    assert.ok(g.every(Number.isFinite));
    // Every real bin and the interior imaginary bins influence the output; imag DC/Nyquist are ignored.
    const nonZero = g.filter((v) => v !== 0).length;
    assert.equal(nonZero, 2 * 5 * 9 - 2 * 9);
    tf.dispose([s, grad]);
  });

  test('no tensor leaks', () => {
    const x = tf.tensor3d(randomSeries(new SeededRng('leak'), 2, 2, 33));
    const before = tf.memory().numTensors;
    const s = stft(x);
    const { lf, hf } = splitFrequencyBands(s);
    const y = istft(lf, 33);
    const grad = tf.grad((input: tf.Tensor) =>
      tf.sum(istft(highFrequencyView(stft(input as tf.Tensor3D)), 33)),
    )(x);
    tf.dispose([s, lf, hf, y, grad]);
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  });

  test('rejects series too short for reflect padding and malformed spectrograms', () => {
    const short = tf.zeros<tf.Rank.R3>([1, 1, 4]);
    assert.throws(() => stft(short), /longer than 4/);
    const bad = tf.zeros<tf.Rank.R4>([1, 3, 5, 4]);
    assert.throws(() => istft(bad, 6), /istft expects/);
    const four = tf.zeros<tf.Rank.R4>([1, 2, 5, 4]);
    assert.throws(() => istft(four, 8), /gives 6 or 7 samples, not 8/);
    tf.dispose([short, bad, four]);
  });

  test('cpu and wasm agree on values and gradients', async () => {
    const x = randomSeries(new SeededRng('parity'), 4, 2, 64);
    const run = (): { s: Float32Array; y: Float32Array; g: Float32Array } => {
      const xs = tf.tensor3d(x);
      const s = stft(xs);
      const y = istft(lowFrequencyView(s), 64);
      const g = tf.grad((input: tf.Tensor) =>
        tf.sum(tf.square(istft(highFrequencyView(stft(input as tf.Tensor3D)), 64))),
      )(xs);
      const out = {
        s: s.dataSync() as Float32Array,
        y: y.dataSync() as Float32Array,
        g: g.dataSync() as Float32Array,
      };
      tf.dispose([xs, s, y, g]);
      return out;
    };
    const wasm = run();
    await initTensorBackend('cpu');
    try {
      assert.equal(tf.getBackend(), 'cpu');
      const cpu = run();
      for (const key of ['s', 'y', 'g'] as const) {
        let worst = 0;
        for (let i = 0; i < cpu[key].length; i++)
          worst = Math.max(worst, Math.abs(cpu[key][i] - wasm[key][i]));
        assert.ok(worst < 1e-5, `${key}: ${worst}`);
      }
    } finally {
      await initTensorBackend('wasm');
    }
  });
});
