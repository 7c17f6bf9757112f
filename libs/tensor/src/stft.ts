import * as tf from '@tensorflow/tfjs-core';

/**
 * The fixed STFT of the ESS spec (ess.md §3.1): centred by reflect padding, frame 8, hop 2, rectangular
 * window, unnormalised one-sided DFT. TF.js wasm has no FFT kernel, so framing + DFT is one stride-2 conv1d
 * with a fixed DFT filter, and the inverse is the matching transposed conv (measured 5–10× faster than
 * slice/concat framing with a matMul, on both wasm and cpu).
 */
export const STFT_FRAME = 8;
export const STFT_HOP = 2;
export const STFT_PAD = STFT_FRAME / 2;
/** One-sided bins of a length-8 real FFT. */
export const STFT_BINS = STFT_FRAME / 2 + 1;

/** Frames the STFT produces for a series of length L. */
export function stftFrameCount(length: number): number {
  return Math.floor(length / STFT_HOP) + 1;
}

/**
 * Whether istft of W frames can return `length` samples: the lengths whose STFT has W frames, 2(W − 1) and
 * 2(W − 1) + 1. Both are exact (the last frame of an odd L still covers its last sample), which is why istft
 * takes the length, as torch.istft does: 2(W − 1) alone would silently drop an odd series' last step.
 */
export function isIstftLength(frames: number, length: number): boolean {
  return Number.isInteger(length) && stftFrameCount(length) === frames;
}

/** [8, 10]: frame samples → [re_0..re_4, im_0..im_4] of the unnormalised rfft. */
function forwardDftMatrix(): Float32Array {
  const m = new Float32Array(STFT_FRAME * 2 * STFT_BINS);
  for (let n = 0; n < STFT_FRAME; n++) {
    for (let k = 0; k < STFT_BINS; k++) {
      const angle = (2 * Math.PI * k * n) / STFT_FRAME;
      m[n * 2 * STFT_BINS + k] = Math.cos(angle);
      m[n * 2 * STFT_BINS + STFT_BINS + k] = -Math.sin(angle);
    }
  }
  return m;
}

/**
 * [10, 8]: irfft with 1/8 scaling. Interior bins count twice (their conjugate mirror); the imaginary parts of
 * DC and Nyquist are ignored, as numpy/torch irfft do (their sine rows are zero anyway).
 */
function inverseDftMatrix(): Float32Array {
  const m = new Float32Array(2 * STFT_BINS * STFT_FRAME);
  for (let k = 0; k < STFT_BINS; k++) {
    const weight = (k === 0 || k === STFT_BINS - 1 ? 1 : 2) / STFT_FRAME;
    for (let n = 0; n < STFT_FRAME; n++) {
      const angle = (2 * Math.PI * k * n) / STFT_FRAME;
      m[k * STFT_FRAME + n] = weight * Math.cos(angle);
      m[(STFT_BINS + k) * STFT_FRAME + n] = k === 0 || k === STFT_BINS - 1 ? 0 : -weight * Math.sin(angle);
    }
  }
  return m;
}

const FORWARD_DFT = forwardDftMatrix();
/** The inverse DFT laid out as a conv2dTranspose filter [1, 8, out 1, in 10]. */
const INVERSE_DFT_FILTER = transpose2d(inverseDftMatrix(), 2 * STFT_BINS, STFT_FRAME);

function transpose2d(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}

/** 1 / (frames covering each overlap-added sample), length 2W + 6, cropped later to the output span. */
function inverseCoverage(frames: number): Float32Array {
  const total = STFT_HOP * (frames - 1) + STFT_FRAME;
  const count = new Float32Array(total);
  for (let w = 0; w < frames; w++) {
    for (let n = 0; n < STFT_FRAME; n++) count[w * STFT_HOP + n] += 1;
  }
  for (let i = 0; i < total; i++) count[i] = 1 / count[i];
  return count;
}

/**
 * Reflect padding (edge sample not repeated) of x [N, L] by `pad` on both ends → [N, L + 2·pad].
 * Built from slice/reverse/concat because tfjs's MirrorPad gradient drops the reflected contributions
 * (it only slices the centre of dy), which makes gradients near the edges wrong.
 */
export function reflectPad(x: tf.Tensor2D, pad: number): tf.Tensor2D {
  const [rows, length] = x.shape;
  if (pad >= length) {
    throw new Error(`reflect padding of ${pad} needs more than ${pad} samples, got ${length}`);
  }
  return tf.tidy(() => {
    const left = tf.reverse(tf.slice(x, [0, 1], [rows, pad]), 1);
    const right = tf.reverse(tf.slice(x, [0, length - 1 - pad], [rows, pad]), 1);
    return tf.concat([left, x, right], 1);
  });
}

/** x [B, C, L] (L ≥ 5, reflect padding needs L > 4) → S [B, 2C, 5, W], W = floor(L/2) + 1. */
export function stft(x: tf.Tensor3D): tf.Tensor4D {
  const [batch, channels, length] = x.shape;
  if (length <= STFT_PAD) {
    throw new Error(`stft needs series longer than ${STFT_PAD} samples for reflect padding, got ${length}`);
  }
  const frames = stftFrameCount(length);
  const series = batch * channels;
  return tf.tidy(() => {
    // [B·C, L + 8, 1]; a valid stride-2 conv over it yields exactly W frames (odd L leaves the last padding sample
    // unused; sample L − 1 is still in the last two frames, so istft(·, L) gives it back).
    const padded = tf.reshape<tf.Rank.R3>(reflectPad(tf.reshape(x, [series, length]), STFT_PAD), [
      series,
      length + 2 * STFT_PAD,
      1,
    ]);
    // [8, 1, 10]: the DFT as a conv filter. Only the input gradient is ever needed (the filter is a constant,
    // so tf.grad prunes it), which matters because wasm has no Conv2DBackpropFilter kernel.
    const filter = tf.tensor3d(FORWARD_DFT, [STFT_FRAME, 1, 2 * STFT_BINS]);
    // [B·C, W, 10] → [B·C, 10, W] → [B, 2C, 5, W]; the 10 axis is [re bins, im bins] so the last step is a reshape.
    const spectrum = tf.conv1d(padded, filter, STFT_HOP, 'valid');
    return tf.reshape(tf.transpose(spectrum, [0, 2, 1]), [batch, 2 * channels, STFT_BINS, frames]);
  });
}

/** S [B, 2C, 5, W] → x [B, C, length], length the series length L the STFT was taken of (2(W − 1) or 2W − 1). */
export function istft(spectrogram: tf.Tensor4D, length: number): tf.Tensor3D {
  const [batch, stacked, bins, frames] = spectrogram.shape;
  if (bins !== STFT_BINS || stacked % 2 !== 0 || frames < 2) {
    throw new Error(`istft expects [B, 2C, ${STFT_BINS}, W ≥ 2], got [${spectrogram.shape.join(', ')}]`);
  }
  if (!isIstftLength(frames, length)) {
    throw new Error(
      `istft of ${frames} frames gives ${2 * (frames - 1)} or ${2 * frames - 1} samples, not ${length}`,
    );
  }
  const channels = stacked / 2;
  const series = batch * channels;
  const total = STFT_HOP * (frames - 1) + STFT_FRAME;
  return tf.tidy(() => {
    // [B·C, 1, W, 10] with the last axis = [re bins, im bins].
    const perFrame = tf.reshape<tf.Rank.R4>(
      tf.transpose(tf.reshape(spectrogram, [series, 2 * STFT_BINS, frames]), [0, 2, 1]),
      [series, 1, frames, 2 * STFT_BINS],
    );
    // irfft and overlap-add in one op: a stride-2 transposed conv whose [1, 8, 1, 10] filter is the inverse DFT
    // places each frame's 8 samples at 2w..2w+7 and sums overlaps. As in stft, only the input gradient is needed.
    const filter = tf.tensor4d(INVERSE_DFT_FILTER, [1, STFT_FRAME, 1, 2 * STFT_BINS]);
    const summed = tf.conv2dTranspose(perFrame, filter, [series, 1, total, 1], [1, STFT_HOP], 'valid');
    // [B·C, 2W + 6] normalised by how many frames cover each sample, then the 4-sample pads dropped.
    const normalised = tf.mul(tf.reshape(summed, [series, total]), tf.tensor1d(inverseCoverage(frames)));
    const cropped = tf.slice(normalised, [0, STFT_PAD], [series, length]);
    return tf.reshape(cropped, [batch, channels, length]);
  });
}

/** S with the listed frequency rows (axis 2) set to zero; multiplication keeps the gradient path simple. */
export function zeroFrequencyRows(spectrogram: tf.Tensor4D, rows: readonly number[]): tf.Tensor4D {
  const bins = spectrogram.shape[2];
  const keep = new Float32Array(bins).fill(1);
  for (const row of rows) {
    if (!Number.isInteger(row) || row < 0 || row >= bins) {
      throw new Error(`frequency row ${row} is outside 0..${bins - 1}`);
    }
    keep[row] = 0;
  }
  return tf.tidy(() => tf.mul(spectrogram, tf.tensor4d(keep, [1, 1, bins, 1])));
}

/** LF view u_l (ess.md §3.2): only the DC row kept. */
export function lowFrequencyView(spectrogram: tf.Tensor4D): tf.Tensor4D {
  return zeroFrequencyRows(spectrogram, [1, 2, 3, 4]);
}

/** HF view u_h (ess.md §3.2): the DC row zeroed. */
export function highFrequencyView(spectrogram: tf.Tensor4D): tf.Tensor4D {
  return zeroFrequencyRows(spectrogram, [0]);
}

/** Both branch views of S; u_l + u_h = S, so istft(u_l, L) + istft(u_h, L) = istft(S, L). */
export function splitFrequencyBands(spectrogram: tf.Tensor4D): { lf: tf.Tensor4D; hf: tf.Tensor4D } {
  return { lf: lowFrequencyView(spectrogram), hf: highFrequencyView(spectrogram) };
}
