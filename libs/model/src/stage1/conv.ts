import * as tf from '@tensorflow/tfjs-core';
import { type SeededRng } from '@maskgen/tensor';
import { type VariableStore } from '../training';

/**
 * 2-D convolution building blocks, channels-last (x [B, H, W, C]). wasm has no Conv2DBackpropFilter kernel
 * (tfjs.md §4), so the one primitive, `conv2dValid`, has its own gradient written with forward Conv2D only.
 */

export interface ConvParams {
  readonly kernel: tf.Variable<tf.Rank.R4>; // [kh, kw, Cin, Cout]
  readonly bias: tf.Variable<tf.Rank.R1>; // [Cout]
}

/** PyTorch's Conv2d default initialisation: weights and bias U(±1/√fan_in), fan_in = Cin·kh·kw. */
export function createConv(
  store: VariableStore,
  name: string,
  [kh, kw]: readonly [number, number],
  inputs: number,
  outputs: number,
  rng: SeededRng,
): ConvParams {
  const bound = 1 / Math.sqrt(inputs * kh * kw);
  const stream = rng.fork(name);
  return {
    kernel: store.param(
      `${name}/kernel`,
      tf.randomUniform([kh, kw, inputs, outputs], -bound, bound, 'float32', stream.tensorSeed()),
    ) as tf.Variable<tf.Rank.R4>,
    bias: store.param(
      `${name}/bias`,
      tf.randomUniform([outputs], -bound, bound, 'float32', stream.tensorSeed()),
    ) as tf.Variable<tf.Rank.R1>,
  };
}

/**
 * Zero insertion along W: [B, H, W, C] → [B, H, s·W, C], x[w] at column s·w followed by s − 1 zeros. Built as a
 * channel concat + reshape so it stays rank 4 (wasm's rank-5 ops and tf.stack's gradient are slow).
 */
function dilateWidthRaw(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  if (stride === 1) return x;
  const [batch, h, w, c] = x.shape;
  const zeros = tf.zeros([batch, h, w, (stride - 1) * c]);
  return tf.reshape<tf.Rank.R4>(tf.concat([x, zeros], 3), [batch, h, stride * w, c]);
}

/** Inverse of dilateWidthRaw: columns 0, s, 2s, … of x [B, H, s·W, C] → [B, H, W, C]. */
function everyNthColumn(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  if (stride === 1) return x;
  const [batch, h, sw, c] = x.shape;
  // [B, H, W·s, C] → [B, H, W, s·C]: column s·q + r lands in channel block r; keep block 0.
  const folded = tf.reshape<tf.Rank.R4>(x, [batch, h, sw / stride, stride * c]);
  return tf.slice(folded, [0, 0, 0, 0], [batch, h, sw / stride, c]);
}

/**
 * Valid 2-D conv with stride (1, strideW), no bias: x [B, H, W, Cin], kernel [kh, kw, Cin, Cout] →
 * [B, H − kh + 1, floor((W − kw)/strideW) + 1, Cout].
 */
export function conv2dValid(x: tf.Tensor4D, kernel: tf.Tensor4D, strideW: number): tf.Tensor4D {
  let op = convOps.get(strideW);
  if (op === undefined) {
    op = makeConv(strideW);
    convOps.set(strideW, op);
  }
  return op(x, kernel) as tf.Tensor4D;
}

const convOps = new Map<number, (x: tf.Tensor, kernel: tf.Tensor) => tf.Tensor>();

/**
 * Both gradients use wasm's fast forward Conv2D or a matMul: its Conv2DBackpropInput is ~8× slower than Conv2D at
 * these sizes, and Conv2DBackpropFilter does not exist.
 */
function makeConv(strideW: number): (x: tf.Tensor, kernel: tf.Tensor) => tf.Tensor {
  return tf.customGrad((...args) => {
    const [input, filter, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([input, filter]);
    return {
      value: tf.conv2d(input, filter, [1, strideW], 'valid'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dy4 = dy as tf.Tensor4D;
        const [kh, kw, cin, cout] = ws.shape;
        const outW = dy4.shape[2];
        const inW = xs.shape[2];
        if (kw < strideW) throw new Error(`conv kernel width ${kw} is smaller than its stride ${strideW}`);
        // dx: full correlation of the zero-dilated dy with the flipped, in/out-swapped kernel.
        const flipped = tf.transpose(tf.reverse(ws, [0, 1]), [0, 1, 3, 2]); // [kh, kw, Cout, Cin]
        const dyPadded = tf.pad(dilateWidthRaw(dy4, strideW), [
          [0, 0],
          [kh - 1, kh - 1],
          [kw - 1, inW - strideW * outW],
          [0, 0],
        ]);
        const dx = tf.conv2d(dyPadded, flipped, 1, 'valid');
        // dW[i, j, ci, co] = Σ_{b,h,w} x[b, h + i, s·w + j, ci]·dy[b, h, w, co]: a dilated conv of x with Cin as
        // the batch and B as the channels, filtered by dy: one fast Conv2D instead of kh·kw im2col slices.
        const xT = tf.transpose(xs, [3, 1, 2, 0]); // [Cin, H, W, B]
        const dyT = tf.transpose(dy4, [1, 2, 0, 3]); // [Ho, Wo, B, Cout]
        const full = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', [1, strideW]); // [Cin, kh, ≥kw, Cout]
        const dw = tf.transpose(tf.slice(full, [0, 0, 0, 0], [cin, kh, kw, cout]), [1, 2, 0, 3]);
        return [dx, dw];
      },
    };
  });
}

/** Differentiable zero insertion along W (see dilateWidthRaw); its gradient keeps every s-th column of dy. */
function dilateWidth(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  const op = tf.customGrad((...args) => {
    const input = args[0] as tf.Tensor4D;
    return {
      value: dilateWidthRaw(input, stride),
      gradFunc: (dy: tf.Tensor) => everyNthColumn(dy as tf.Tensor4D, stride),
    };
  });
  return op(x) as tf.Tensor4D;
}

/** Pads H and W by `pad` on each side by repeating the edge (PyTorch 'replicate'); slices + concat keep the gradient exact. */
export function replicatePad(x: tf.Tensor4D, pad: number): tf.Tensor4D {
  return tf.tidy(() => {
    let out = x;
    for (const axis of [1, 2]) {
      const size = out.shape[axis];
      const begin = [0, 0, 0, 0];
      const first = out.shape.slice() as [number, number, number, number];
      first[axis] = 1;
      const lastBegin = begin.slice();
      lastBegin[axis] = size - 1;
      const head = tf.slice(out, begin, first);
      const tail = tf.slice(out, lastBegin, first);
      out = tf.concat(
        [...Array<tf.Tensor4D>(pad).fill(head), out, ...Array<tf.Tensor4D>(pad).fill(tail)],
        axis,
      );
    }
    return out;
  });
}

/** Down block conv (§3.3): replicate pad 1, kernel (3, 4), stride (1, 2): [B, 5, W, Cin] → [B, 5, floor(W/2), Cout]. */
export function downConv(x: tf.Tensor4D, p: ConvParams): tf.Tensor4D {
  return tf.tidy(() => tf.add(conv2dValid(replicatePad(x, 1), p.kernel, 2), p.bias));
}

/** 3×3 conv with zero padding 1, stride 1: [B, H, W, Cin] → [B, H, W, Cout]. */
export function conv3x3(x: tf.Tensor4D, p: ConvParams): tf.Tensor4D {
  return tf.tidy(() =>
    tf.add(
      conv2dValid(
        tf.pad(x, [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ]),
        p.kernel,
        1,
      ),
      p.bias,
    ),
  );
}

/** 1×1 conv as a dense layer over channels: [B, H, W, Cin] → [B, H, W, Cout]. */
export function conv1x1(x: tf.Tensor4D, p: ConvParams): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, h, w, cin] = x.shape;
    const cout = p.kernel.shape[3];
    const y = tf.add(tf.matMul(tf.reshape(x, [-1, cin]), tf.reshape(p.kernel, [cin, cout])), p.bias);
    return tf.reshape(y, [batch, h, w, cout]);
  });
}

/**
 * PyTorch ConvTranspose2d(kernel (3, 4), stride (1, 2), padding 1): [B, H, W, Cin] → [B, H, 2W, Cout].
 * Written as zero insertion + padding + a stride-1 conv, so it reuses `conv2dValid`'s wasm-safe gradient. The
 * kernel is stored spatially flipped relative to PyTorch's [Cin, Cout, kh, kw] weight
 * (kernel[a, b, ci, co] = weight[ci, co, 2 − a, 3 − b]); the function class is the same.
 */
export function upConv(x: tf.Tensor4D, p: ConvParams): tf.Tensor4D {
  return tf.tidy(() => {
    // [x0, 0, x1, 0, …, x_{W−1}, 0] along W.
    const dilated = dilateWidth(x, 2);
    // kernel − 1 − padding = 2 before; after, 1 more closes the span to 2W + 3 (the trailing zero is the other one).
    const padded = tf.pad<tf.Tensor4D>(dilated, [
      [0, 0],
      [1, 1],
      [2, 1],
      [0, 0],
    ]);
    return tf.add<tf.Tensor4D>(conv2dValid(padded, p.kernel, 1), p.bias);
  });
}

/** [from, to] matrix of 1-D linear interpolation with corner alignment (torch align_corners=True). */
export function linearResizeMatrix(from: number, to: number): Float32Array {
  const m = new Float32Array(from * to);
  for (let j = 0; j < to; j++) {
    const src = to === 1 ? 0 : (j * (from - 1)) / (to - 1);
    const i0 = Math.min(Math.floor(src), from - 1);
    const i1 = Math.min(i0 + 1, from - 1);
    const frac = src - i0;
    m[i0 * to + j] += 1 - frac;
    m[i1 * to + j] += frac;
  }
  return m;
}

/**
 * Bilinear resize with aligned corners from [B, H, Win, C] to the spectrogram layout [B, C, H, Wout]. Only the
 * width changes (H is the 5 STFT rows on both sides, and an aligned H→H resize is the identity), so it is one
 * matMul with a fixed interpolation matrix, which is exact and differentiable on every backend.
 */
export function resizeWidthToSpectrogram(x: tf.Tensor4D, outWidth: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, h, w, c] = x.shape;
    const matrix = tf.tensor2d(linearResizeMatrix(w, outWidth), [w, outWidth]);
    // [B, C, H, Win] → [B·C·H, Win] · [Win, Wout]
    const rows = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [batch * c * h, w]);
    return tf.reshape(tf.matMul(rows, matrix), [batch, c, h, outWidth]);
  });
}
