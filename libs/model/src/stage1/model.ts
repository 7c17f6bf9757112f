import * as tf from '@tensorflow/tfjs-core';
import {
  SeededRng,
  highFrequencyView,
  istft,
  lowFrequencyView,
  serializeCheckpoint,
  stft,
  restoreFromCheckpoint,
  type CheckpointMeta,
} from '@maskgen/tensor';
import { type ForwardMode, INFERENCE, VariableStore } from '../training';
import {
  BANDS,
  type Band,
  type BandShape,
  type Stage1Config,
  type Stage1Shapes,
  stage1Shapes,
  validateStage1Config,
} from './config';
import { type DecoderParams, createDecoder, decode } from './decoder';
import { type EncoderParams, createEncoder, encode } from './encoder';
import {
  type QuantizerParams,
  createQuantizer,
  lookupCodes,
  nearestCodes,
  quantize,
  sampleCodes,
} from './quantizer';

export const STAGE1_CHECKPOINT_KIND = 'timevqvae-stage1';

/** Token grids of both branches: int32 [B, N_lf] and [B, N_hf], frequency-major. */
export interface Stage1Tokens {
  readonly lf: tf.Tensor2D;
  readonly hf: tf.Tensor2D;
}

/** Scalar losses of one forward pass (ess.md §3.6); `total` is what the optimiser minimises. */
export interface Stage1Losses {
  readonly total: tf.Scalar;
  readonly lfTimeMse: tf.Scalar;
  readonly hfTimeL1: tf.Scalar;
  readonly lfFreqMse: tf.Scalar;
  readonly hfFreqMse: tf.Scalar;
  readonly lfCommitment: tf.Scalar;
  readonly hfCommitment: tf.Scalar;
}

export interface Stage1Forward {
  readonly losses: Stage1Losses;
  /** Code assignment counts of this batch per branch [K]. */
  readonly counts: { readonly lf: tf.Tensor1D; readonly hf: tf.Tensor1D };
  /** x̂ = x̂_l + x̂_h [B, C, L]. */
  readonly reconstruction: tf.Tensor3D;
}

interface Branch {
  readonly encoder: EncoderParams;
  readonly quantizer: QuantizerParams;
  readonly decoder: DecoderParams;
}

export interface Stage1ModelSpec {
  /** Series length L the model is built for (token grid widths depend on it). */
  readonly length: number;
  /** Input channels C (1 for UCR). */
  readonly channels: number;
}

/** What a stage-1 checkpoint's manifest metadata holds besides the weights. */
export interface Stage1CheckpointMeta extends Stage1ModelSpec {
  readonly kind: typeof STAGE1_CHECKPOINT_KIND;
  readonly config: Stage1Config;
  readonly [key: string]: unknown;
}

/** S [B, 2C, 5, W] → channels-last [B, 5, W, 2C] for the convs. */
function toChannelsLast(s: tf.Tensor4D): tf.Tensor4D {
  return tf.transpose(s, [0, 2, 3, 1]);
}

/**
 * TimeVQVAE stage 1: STFT → LF/HF views → per-branch encoder, EMA quantiser, decoder → inverse STFT.
 * Owns its variables (parameters, BatchNorm running statistics, EMA codebook buffers); call dispose().
 */
export class TimeVQVAE {
  readonly shapes: Stage1Shapes;
  readonly store = new VariableStore();
  private readonly branches: Record<Band, Branch>;

  private constructor(
    readonly config: Stage1Config,
    readonly spec: Stage1ModelSpec,
    rng: SeededRng,
  ) {
    validateStage1Config(config);
    if (!Number.isInteger(spec.channels) || spec.channels < 1) {
      throw new RangeError(`channels must be a positive integer, got ${spec.channels}`);
    }
    this.shapes = stage1Shapes(spec.length, config);
    const stacked = 2 * spec.channels;
    const make = (band: Band): Branch => {
      const k = this.shapes[band].downBlocks;
      return {
        encoder: createEncoder(this.store, `${band}/encoder`, stacked, k, config, rng),
        quantizer: createQuantizer(
          this.store,
          `${band}/quantizer`,
          config.codebookSize,
          config.hiddenDim,
          rng,
        ),
        decoder: createDecoder(this.store, `${band}/decoder`, stacked, k, config, rng),
      };
    };
    this.branches = { lf: make('lf'), hf: make('hf') };
  }

  /** A freshly initialised model; the same rng key gives the same weights. */
  static create(config: Stage1Config, spec: Stage1ModelSpec, rng: SeededRng): TimeVQVAE {
    return new TimeVQVAE(config, spec, rng);
  }

  /** Rebuilds a model from `serialize()` bytes (weights, running statistics and codebook buffers). */
  static deserialize(bytes: Uint8Array): TimeVQVAE {
    const build = (stored: CheckpointMeta) => {
      const meta = stored as Partial<Stage1CheckpointMeta>;
      if (meta.kind !== STAGE1_CHECKPOINT_KIND || meta.config === undefined) {
        throw new Error(`not a stage-1 checkpoint (kind ${String(meta.kind)})`);
      }
      // The initial weights are overwritten by the checkpoint; the rng only has to be valid.
      const spec = { length: Number(meta.length), channels: Number(meta.channels) };
      return new TimeVQVAE(meta.config, spec, new SeededRng('checkpoint'));
    };
    return restoreFromCheckpoint(bytes, build, (model) => model.store.all()).model;
  }

  /** Checkpoint bytes; `extraMeta` (e.g. data scaling, training step) is stored next to the config. */
  serialize(extraMeta: Readonly<Record<string, unknown>> = {}): Buffer {
    const meta: Stage1CheckpointMeta = {
      ...extraMeta,
      kind: STAGE1_CHECKPOINT_KIND,
      config: this.config,
      length: this.spec.length,
      channels: this.spec.channels,
    };
    return serializeCheckpoint(this.store.all(), meta);
  }

  /** Token grid geometry of a branch (rows = 5 frequency bins, columns W', tokens N). */
  tokenShape(band: Band): BandShape {
    return this.shapes[band];
  }

  get codebookSize(): number {
    return this.config.codebookSize;
  }

  /** The live codebook [K, d] of a branch. Owned by the model: read it, do not dispose it. */
  codebook(band: Band): tf.Tensor2D {
    return this.branches[band].quantizer.codebook as tf.Tensor2D;
  }

  /** A copy of a branch's codebook vectors, row-major [K, d]. */
  codebookVectors(band: Band): Float32Array {
    return this.codebook(band).dataSync<'float32'>().slice();
  }

  /** The full pass used for training and evaluation: x [B, C, L]. */
  forward(x: tf.Tensor3D, mode: ForwardMode): Stage1Forward {
    this.checkInput(x);
    return tf.tidy(() => {
      const s = stft(x);
      const views = { lf: lowFrequencyView(s), hf: highFrequencyView(s) };
      const parts = BANDS.map((band) => {
        const branch = this.branches[band];
        const z = encode(toChannelsLast(views[band]), branch.encoder, this.config, mode);
        const q = quantize(z, branch.quantizer, this.config.emaDecay, mode);
        const uHat = decode(q.zq, branch.decoder, band, this.shapes.frames, this.config, mode);
        return { target: views[band], uHat, xHat: istft(uHat, this.spec.length), q };
      });
      const [lf, hf] = parts;
      const losses = {
        lfTimeMse: tf.mean(tf.squaredDifference(istft(lf.target, this.spec.length), lf.xHat)),
        hfTimeL1: tf.mean(tf.abs(tf.sub(istft(hf.target, this.spec.length), hf.xHat))),
        lfFreqMse: tf.mean(tf.squaredDifference(lf.target, lf.uHat)),
        hfFreqMse: tf.mean(tf.squaredDifference(hf.target, hf.uHat)),
        lfCommitment: tf.mul(lf.q.commitment, this.config.commitmentWeight),
        hfCommitment: tf.mul(hf.q.commitment, this.config.commitmentWeight),
      } as Omit<Stage1Losses, 'total'>;
      const total = tf.addN<tf.Scalar>(Object.values(losses));
      return {
        losses: { total, ...losses },
        counts: { lf: lf.q.counts, hf: hf.q.counts },
        reconstruction: tf.add<tf.Tensor3D>(lf.xHat, hf.xHat),
      };
    });
  }

  /** Deterministic tokens (nearest codes, inference mode): x [B, C, L] → int32 [B, N_lf], [B, N_hf]. */
  encode(x: tf.Tensor3D): Stage1Tokens {
    return this.encodeWith(x, (band, z) => nearestCodes(z, this.codebook(band)));
  }

  /** Stochastic tokens (ess.md §4.1): ids sampled from softmax(−‖z − e_k‖²); seeded, so repeatable. */
  encodeStochastic(x: tf.Tensor3D, rng: SeededRng): Stage1Tokens {
    return this.encodeWith(x, (band, z) => sampleCodes(z, this.codebook(band), rng.fork(band)));
  }

  /** Pre-quantisation latents, inference mode: x [B, C, L] → [B, 5, W'_lf, d] and [B, 5, W'_hf, d]. */
  latents(x: tf.Tensor3D): { lf: tf.Tensor4D; hf: tf.Tensor4D } {
    this.checkInput(x);
    return tf.tidy(() => {
      const s = stft(x);
      const z = (band: Band, view: tf.Tensor4D): tf.Tensor4D =>
        encode(toChannelsLast(view), this.branches[band].encoder, this.config, INFERENCE);
      return { lf: z('lf', lowFrequencyView(s)), hf: z('hf', highFrequencyView(s)) };
    });
  }

  /** Each branch's series: tokens → x̂_l, x̂_h [B, C, L]. */
  decodeBands(tokens: Stage1Tokens): { lf: tf.Tensor3D; hf: tf.Tensor3D } {
    return tf.tidy(() => {
      const out = {} as { lf: tf.Tensor3D; hf: tf.Tensor3D };
      for (const band of BANDS) {
        const shape = this.shapes[band];
        const grid = tokens[band];
        if (grid.rank !== 2 || grid.shape[1] !== shape.tokens) {
          throw new Error(`${band} tokens must be [B, ${shape.tokens}], got [${grid.shape.join(', ')}]`);
        }
        const zq = lookupCodes(grid, this.codebook(band), shape.rows);
        const uHat = decode(
          zq,
          this.branches[band].decoder,
          band,
          this.shapes.frames,
          this.config,
          INFERENCE,
        );
        out[band] = istft(uHat, this.spec.length);
      }
      if (out.lf.shape[0] !== out.hf.shape[0]) throw new Error('lf and hf token batches differ in size');
      return out;
    });
  }

  /** tokens → x = x̂_l + x̂_h [B, C, L] (ess.md §5.5 step 5). */
  decode(tokens: Stage1Tokens): tf.Tensor3D {
    return tf.tidy(() => {
      const { lf, hf } = this.decodeBands(tokens);
      return tf.add(lf, hf);
    });
  }

  dispose(): void {
    this.store.dispose();
  }

  private encodeWith(x: tf.Tensor3D, pick: (band: Band, z: tf.Tensor4D) => tf.Tensor2D): Stage1Tokens {
    const z = this.latents(x);
    try {
      // tidy cannot wrap `pick` (sampling reads tensors back synchronously), so release on failure by hand.
      const lf = pick('lf', z.lf);
      try {
        return { lf, hf: pick('hf', z.hf) };
      } catch (error) {
        lf.dispose();
        throw error;
      }
    } finally {
      tf.dispose([z.lf, z.hf]);
    }
  }

  private checkInput(x: tf.Tensor3D): void {
    const [, channels, length] = x.shape;
    if (x.rank !== 3 || channels !== this.spec.channels || length !== this.spec.length) {
      throw new Error(
        `expected series [B, ${this.spec.channels}, ${this.spec.length}], got [${x.shape.join(', ')}]`,
      );
    }
  }
}
