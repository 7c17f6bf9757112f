import * as tf from '@tensorflow/tfjs-core';
import { type SeededRng } from '@maskgen/tensor';
import { type BatchNormParams, type ForwardMode, type VariableStore, createBatchNorm } from '../training';
import { type Band, type Stage1Config } from './config';
import { type ConvParams, createConv, resizeWidthToSpectrogram, upConv } from './conv';
import { type ResidualUnitParams, createResidualUnit, normActivate, residualUnit } from './encoder';

/** Per-branch decoder (ess.md §3.5): residual units, k − 1 up blocks, two output transposed convs, resize, mask. */

export interface DecoderParams {
  readonly residual: readonly ResidualUnitParams[];
  readonly up: ReadonlyArray<{ readonly conv: ConvParams; readonly norm: BatchNormParams }>;
  readonly out1: ConvParams;
  readonly out2: ConvParams;
}

export function createDecoder(
  store: VariableStore,
  name: string,
  outputChannels: number,
  downBlocks: number,
  config: Stage1Config,
  rng: SeededRng,
): DecoderParams {
  const d = config.hiddenDim;
  return {
    residual: Array.from({ length: config.residualUnits }, (_, i) =>
      createResidualUnit(store, `${name}/res${i}`, d, false, rng),
    ),
    up: Array.from({ length: downBlocks - 1 }, (_, i) => ({
      conv: createConv(store, `${name}/up${i}/convT`, [3, 4], d, d, rng),
      norm: createBatchNorm(store, `${name}/up${i}/bn`, d),
    })),
    out1: createConv(store, `${name}/out1/convT`, [3, 4], d, outputChannels, rng),
    out2: createConv(store, `${name}/out2/convT`, [3, 4], outputChannels, outputChannels, rng),
  };
}

/** Frequency rows a branch owns (§3.2): LF keeps the DC row, HF the other four. */
export function bandRowMask(band: Band, rows: number): Float32Array {
  return Float32Array.from({ length: rows }, (_, h) => ((band === 'lf') === (h === 0) ? 1 : 0));
}

/** zq [B, 5, W', d] → û [B, 2C, 5, W], already masked to the branch's rows (ready for the inverse STFT). */
export function decode(
  zq: tf.Tensor4D,
  p: DecoderParams,
  band: Band,
  frames: number,
  config: Stage1Config,
  mode: ForwardMode,
): tf.Tensor4D {
  return tf.tidy(() => {
    let h = zq;
    for (const unit of p.residual) h = residualUnit(h, unit, config, mode);
    for (const block of p.up) h = normActivate(upConv(h, block.conv), block.norm, config, mode);
    // [B, 5, W'·2^(k+1), 2C] → [B, 2C, 5, W]
    const resized = resizeWidthToSpectrogram(upConv(upConv(h, p.out1), p.out2), frames);
    const rows = resized.shape[2];
    return tf.mul(resized, tf.tensor4d(bandRowMask(band, rows), [1, 1, rows, 1]));
  });
}
