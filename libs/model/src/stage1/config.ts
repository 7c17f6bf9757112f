import { STFT_BINS, stftFrameCount } from '@maskgen/tensor';

/** Stage-1 (TimeVQVAE tokenizer) hyperparameters; field defaults are the spec's (ess.md §3, §6). */
export interface Stage1Config {
  /** Encoder width d = code dimension. */
  readonly hiddenDim: number;
  /** Residual units in every encoder and decoder. */
  readonly residualUnits: number;
  /** Target token-column width per branch, used to pick the downsampling rate (§3.3). */
  readonly lfTargetWidth: number;
  readonly hfTargetWidth: number;
  /** Codebook size K per branch. */
  readonly codebookSize: number;
  readonly emaDecay: number;
  readonly commitmentWeight: number;
  readonly leakySlope: number;
  readonly batchNormEpsilon: number;
  /** PyTorch convention (0.1 = Keras 0.9). */
  readonly batchNormMomentum: number;
  readonly learningRate: number;
  readonly weightDecay: number;
  readonly epochs: number;
  readonly batchSize: number;
  /** Optional hard cap on optimiser steps (the cosine period still follows epochs, see `stage1Schedule`). */
  readonly maxSteps?: number;
}

export const STAGE1_PAPER_CONFIG: Stage1Config = {
  hiddenDim: 64,
  residualUnits: 4,
  lfTargetWidth: 8,
  hfTargetWidth: 32,
  codebookSize: 32,
  emaDecay: 0.8,
  commitmentWeight: 1,
  leakySlope: 0.01,
  batchNormEpsilon: 1e-5,
  batchNormMomentum: 0.1,
  learningRate: 1e-3,
  weightDecay: 1e-5,
  epochs: 2000,
  batchSize: 128,
};

/**
 * Same architecture, sized for one wasm thread: half the width and residual depth (≈6× fewer FLOPs per series)
 * and a step budget that trains a GunPoint-sized set (50 × 150) in well under 10 minutes (docs/stage1.md).
 * Smaller batches give more updates for the same compute, which matters more than the batch size here.
 */
export const STAGE1_CPU_CONFIG: Stage1Config = {
  ...STAGE1_PAPER_CONFIG,
  hiddenDim: 32,
  residualUnits: 2,
  epochs: 500,
  batchSize: 32,
  learningRate: 2e-3,
};

export const STAGE1_PROFILES = { paper: STAGE1_PAPER_CONFIG, cpu: STAGE1_CPU_CONFIG } as const;
export type Stage1Profile = keyof typeof STAGE1_PROFILES;

export function isStage1Profile(name: string): name is Stage1Profile {
  return Object.prototype.hasOwnProperty.call(STAGE1_PROFILES, name);
}

export type Band = 'lf' | 'hf';
export const BANDS: readonly Band[] = ['lf', 'hf'];

/** Geometry of one branch for a given series length (§3.3). */
export interface BandShape {
  /** Downsampling rate round(L/2/width), or 1 when L < width. */
  readonly rate: number;
  /** Stride-2 down blocks k. */
  readonly downBlocks: number;
  /** Token columns W'. */
  readonly columns: number;
  /** Frequency rows of the token grid (always the 5 STFT bins). */
  readonly rows: number;
  /** Tokens N = rows · columns. */
  readonly tokens: number;
  /** Width the decoder produces before its bilinear resize back to W: W'·2^(k+1). */
  readonly decodedWidth: number;
}

export interface Stage1Shapes {
  readonly length: number;
  /** STFT frames W (decode returns L samples again, odd L included). */
  readonly frames: number;
  readonly lf: BandShape;
  readonly hf: BandShape;
}

/** Python's round(): half to even. The reference computes the rate with it; JS Math.round rounds half up. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

export function bandShape(length: number, targetWidth: number): BandShape {
  const frames = stftFrameCount(length);
  const rate = length >= targetWidth ? roundHalfEven(length / 2 / targetWidth) : 1;
  // rate can round to 0 (L = width); log2(0) = −∞ then gives the minimum of one block, as in the reference.
  const downBlocks = 1 + Math.max(0, Math.floor(Math.log2(rate)) - 1);
  let columns = frames;
  for (let i = 0; i < downBlocks; i++) columns = Math.floor(columns / 2);
  if (columns < 1)
    throw new RangeError(`series of length ${length} is too short for ${downBlocks} down blocks`);
  return {
    rate,
    downBlocks,
    columns,
    rows: STFT_BINS,
    tokens: STFT_BINS * columns,
    decodedWidth: columns * 2 ** (downBlocks + 1),
  };
}

export function stage1Shapes(
  length: number,
  config: Pick<Stage1Config, 'lfTargetWidth' | 'hfTargetWidth'>,
): Stage1Shapes {
  if (!Number.isInteger(length) || length < 5) {
    throw new RangeError(`series length must be an integer ≥ 5 (the STFT reflect-pads by 4), got ${length}`);
  }
  const frames = stftFrameCount(length);
  return {
    length,
    frames,
    lf: bandShape(length, config.lfTargetWidth),
    hf: bandShape(length, config.hfTargetWidth),
  };
}

/** Checks a config's values; throws RangeError naming every bad field. */
export function validateStage1Config(config: Stage1Config): void {
  const problems: string[] = [];
  const positiveInts: Array<keyof Stage1Config> = [
    'hiddenDim',
    'residualUnits',
    'lfTargetWidth',
    'hfTargetWidth',
    'codebookSize',
    'epochs',
    'batchSize',
  ];
  for (const key of positiveInts) {
    const v = config[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
      problems.push(`${key} must be a positive integer`);
  }
  if (config.maxSteps !== undefined && (!Number.isInteger(config.maxSteps) || config.maxSteps <= 0)) {
    problems.push('maxSteps must be a positive integer when set');
  }
  if (!(config.emaDecay >= 0 && config.emaDecay < 1)) problems.push('emaDecay must be in [0, 1)');
  if (!(config.batchNormMomentum > 0 && config.batchNormMomentum <= 1)) {
    problems.push('batchNormMomentum must be in (0, 1]');
  }
  for (const key of ['commitmentWeight', 'leakySlope', 'weightDecay'] as const) {
    if (!(config[key] >= 0)) problems.push(`${key} must be ≥ 0`);
  }
  for (const key of ['learningRate', 'batchNormEpsilon'] as const) {
    if (!(config[key] > 0)) problems.push(`${key} must be > 0`);
  }
  if (problems.length > 0) throw new RangeError(`invalid stage-1 config: ${problems.join('; ')}`);
}
