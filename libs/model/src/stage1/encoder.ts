import * as tf from '@tensorflow/tfjs-core';
import { type SeededRng } from '@maskgen/tensor';
import {
  type BatchNormParams,
  type ForwardMode,
  type VariableStore,
  batchNorm,
  createBatchNorm,
} from '../training';
import { type Stage1Config } from './config';
import { type ConvParams, conv1x1, conv3x3, createConv, downConv } from './conv';

/** Per-branch encoder (ess.md §3.3): k down blocks, then residual units each followed by a BatchNorm. */

export interface ResidualUnitParams {
  readonly conv3: ConvParams;
  /** Inner BatchNorm; the decoder's units have none (§3.5). */
  readonly innerNorm?: BatchNormParams;
  readonly conv1: ConvParams;
  /** The BatchNorm that follows the unit. */
  readonly outerNorm: BatchNormParams;
}

export interface EncoderParams {
  readonly down: ReadonlyArray<{ readonly conv: ConvParams; readonly norm: BatchNormParams }>;
  readonly residual: readonly ResidualUnitParams[];
}

export function createResidualUnit(
  store: VariableStore,
  name: string,
  width: number,
  innerNorm: boolean,
  rng: SeededRng,
): ResidualUnitParams {
  return {
    conv3: createConv(store, `${name}/conv3x3`, [3, 3], width, width, rng),
    ...(innerNorm ? { innerNorm: createBatchNorm(store, `${name}/bn_inner`, width) } : {}),
    conv1: createConv(store, `${name}/conv1x1`, [1, 1], width, width, rng),
    outerNorm: createBatchNorm(store, `${name}/bn`, width),
  };
}

/** The BatchNorm settings of a stage-1 config. */
function batchNormOptions(config: Stage1Config) {
  return { epsilon: config.batchNormEpsilon, momentum: config.batchNormMomentum };
}

/** LReLU(BN(x)), the end of every down- and up-sampling block. */
export function normActivate(
  x: tf.Tensor4D,
  norm: BatchNormParams,
  config: Stage1Config,
  mode: ForwardMode,
): tf.Tensor4D {
  return tf.leakyRelu(batchNorm(x, norm, mode, batchNormOptions(config)), config.leakySlope) as tf.Tensor4D;
}

/** y = BN(x + conv1×1(LReLU([BN](conv3×3(LReLU(x)))))): [B, H, W, d] → same shape. */
export function residualUnit(
  x: tf.Tensor4D,
  p: ResidualUnitParams,
  config: Stage1Config,
  mode: ForwardMode,
): tf.Tensor4D {
  return tf.tidy(() => {
    const bn = batchNormOptions(config);
    let h: tf.Tensor4D = conv3x3(tf.leakyRelu(x, config.leakySlope), p.conv3);
    if (p.innerNorm) h = batchNorm(h, p.innerNorm, mode, bn) as tf.Tensor4D;
    h = conv1x1(tf.leakyRelu(h, config.leakySlope), p.conv1);
    return batchNorm(tf.add(x, h), p.outerNorm, mode, bn) as tf.Tensor4D;
  });
}

export function createEncoder(
  store: VariableStore,
  name: string,
  inputChannels: number,
  downBlocks: number,
  config: Stage1Config,
  rng: SeededRng,
): EncoderParams {
  const d = config.hiddenDim;
  return {
    down: Array.from({ length: downBlocks }, (_, i) => ({
      conv: createConv(store, `${name}/down${i}/conv`, [3, 4], i === 0 ? inputChannels : d, d, rng),
      norm: createBatchNorm(store, `${name}/down${i}/bn`, d),
    })),
    residual: Array.from({ length: config.residualUnits }, (_, i) =>
      createResidualUnit(store, `${name}/res${i}`, d, true, rng),
    ),
  };
}

/** u [B, 5, W, 2C] (one branch's spectrogram view, channels-last) → z [B, 5, W', d]. */
export function encode(
  u: tf.Tensor4D,
  p: EncoderParams,
  config: Stage1Config,
  mode: ForwardMode,
): tf.Tensor4D {
  return tf.tidy(() => {
    let h = u;
    for (const block of p.down) h = normActivate(downConv(h, block.conv), block.norm, config, mode);
    for (const unit of p.residual) h = residualUnit(h, unit, config, mode);
    return h;
  });
}
