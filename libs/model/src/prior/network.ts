import * as tf from '@tensorflow/tfjs-core';
import { type SeededRng, randomNormalTensor, randomUniformTensor } from '@maskgen/tensor';
import {
  type DenseParams,
  type NormParams,
  VariableStore,
  createDense,
  createLayerNorm,
  layerNorm,
} from '../training';
import { type PriorNetworkConfig } from './config';
import { denseFast, embed, gelu, matMulFast, rmsNorm } from './ops';

export type Branch = 'lf' | 'hf';

/** What one branch prior needs to know about the data and stage 1. */
export interface BranchPriorShape {
  readonly branch: Branch;
  /** N: tokens of this branch. */
  readonly tokens: number;
  /** K: codebook size of this branch; the mask id is K. */
  readonly codebookSize: number;
  /** Code dimension of the stage-1 codebooks (64). */
  readonly codeDim: number;
  readonly numClasses: number;
  /** HF only: N_lf and K_lf of the conditioning LF tokens. */
  readonly lf?: { readonly tokens: number; readonly codebookSize: number };
}

/** Initial token tables: rows 0..K−1 of each embedding start as the stage-1 codebook [K, codeDim]. */
export interface BranchPriorInit {
  readonly codebook: tf.Tensor2D;
  /** HF only: the LF codebook, for the table that embeds the conditioning LF tokens. */
  readonly lfCodebook?: tf.Tensor2D;
}

interface LayerParams {
  readonly attnNorm: tf.Variable; // [W]
  readonly wq: DenseParams; // [W, H·dh], no bias
  readonly wk: DenseParams;
  readonly wv: DenseParams;
  readonly wo: DenseParams; // [H·dh, W], no bias
  readonly ffNorm: tf.Variable; // [W]
  readonly ff1: DenseParams; // [W, ffMult·W]
  readonly ff2: DenseParams; // [ffMult·W, W]
}

/**
 * One branch of the bidirectional prior (ess.md §4.3): token embedding (+ position-mixed LF embedding for HF), two
 * position tables, class slot, pre-norm transformer core, token-prediction head tied to the token table.
 */
export class BranchPrior {
  /** Trainable weights, named `<branch>/<part>` (the checkpoint keys). */
  readonly store = new VariableStore();
  /** D_in: 64 for LF, 128 for HF (LF and HF embeddings side by side). */
  readonly inputDim: number;
  /** Class id meaning "no class": the last row of the class table. */
  readonly noClass: number;

  private readonly tokEmb: tf.Variable; // [K+1, d]
  private readonly lfTokEmb?: tf.Variable; // [K_lf+1, d]
  private readonly mixW?: tf.Variable; // [N_hf, N_lf]
  private readonly mixB?: tf.Variable; // [N_hf, 1]
  private readonly pos1: tf.Variable; // [N, D_in]
  private readonly ln1: NormParams;
  private readonly clsEmb: tf.Variable; // [classes+1, D_in]
  private readonly projIn: DenseParams;
  private readonly pos2: tf.Variable; // [N+1, W]
  private readonly layers: LayerParams[] = [];
  private readonly lnFinal: NormParams;
  private readonly projOut: DenseParams;
  private readonly head: DenseParams;
  private readonly headLn: NormParams;
  private readonly logitBias: tf.Variable; // [N, K+1]

  constructor(
    readonly shape: BranchPriorShape,
    readonly config: PriorNetworkConfig,
    init: BranchPriorInit,
    rng: SeededRng,
  ) {
    const { branch, tokens: n, codebookSize: k, codeDim: d, numClasses, lf } = shape;
    if (branch === 'hf' && (lf === undefined || init.lfCodebook === undefined)) {
      throw new Error('the HF prior needs the LF token count, LF codebook size and LF codebook');
    }
    const { width, heads, headDim, ffMult } = config;
    this.inputDim = branch === 'hf' ? 2 * d : d;
    this.noClass = numClasses;
    const dIn = this.inputDim;
    const inner = heads * headDim;
    const s = this.store;
    const name = (part: string): string => `${branch}/${part}`;
    const r = (part: string): SeededRng => rng.fork(part);
    const tokenTable = (codebook: tf.Tensor2D, size: number, part: string): tf.Variable => {
      if (codebook.shape[0] !== size || codebook.shape[1] !== d) {
        throw new Error(`${part}: codebook is [${codebook.shape.join(', ')}], expected [${size}, ${d}]`);
      }
      // The mask row is drawn like PyTorch's nn.Embedding default, N(0, 1).
      return s.param(
        name(part),
        tf.tidy(() => tf.concat([codebook, randomNormalTensor([1, d], r(part))], 0)),
      );
    };
    this.tokEmb = tokenTable(init.codebook, k, 'tokEmb');
    if (branch === 'hf' && lf !== undefined && init.lfCodebook !== undefined) {
      const bound = lf.tokens ** -0.5; // Conv1d(N_lf → N_hf, kernel 1) default init
      this.lfTokEmb = tokenTable(init.lfCodebook, lf.codebookSize, 'lfTokEmb');
      this.mixW = s.param(name('mixW'), randomUniformTensor([n, lf.tokens], r('mixW'), -bound, bound));
      this.mixB = s.param(name('mixB'), randomUniformTensor([n, 1], r('mixB'), -bound, bound));
    }
    this.pos1 = s.param(name('pos1'), randomNormalTensor([n, dIn], r('pos1')));
    this.ln1 = createLayerNorm(s, name('ln1'), dIn);
    this.clsEmb = s.param(name('clsEmb'), randomNormalTensor([numClasses + 1, dIn], r('clsEmb')));
    this.projIn = createDense(s, name('projIn'), dIn, width, rng);
    this.pos2 = s.param(name('pos2'), randomNormalTensor([n + 1, width], r('pos2')));
    for (let l = 0; l < config.layers; l++) {
      const p = (part: string): string => name(`layer${l}/${part}`);
      this.layers.push({
        attnNorm: s.param(p('attnNorm'), tf.ones([width])),
        wq: createDense(s, p('wq'), width, inner, rng, { bias: false }),
        wk: createDense(s, p('wk'), width, inner, rng, { bias: false }),
        wv: createDense(s, p('wv'), width, inner, rng, { bias: false }),
        wo: createDense(s, p('wo'), inner, width, rng, { bias: false }),
        ffNorm: s.param(p('ffNorm'), tf.ones([width])),
        ff1: createDense(s, p('ff1'), width, ffMult * width, rng),
        ff2: createDense(s, p('ff2'), ffMult * width, width, rng),
      });
    }
    this.lnFinal = createLayerNorm(s, name('lnFinal'), width);
    this.projOut = createDense(s, name('projOut'), width, dIn, rng);
    this.head = createDense(s, name('head'), dIn, d, rng);
    this.headLn = createLayerNorm(s, name('headLn'), d);
    this.logitBias = s.param(name('logitBias'), tf.zeros([n, k + 1]));
  }

  /**
   * tokens int32 [B, N] (mask id K allowed), classes int32 [B] (noClass = "no class"), lfTokens int32 [B, N_lf]
   * (HF only, clean) → logits [B, N, K]. Call inside tf.tidy or a gradient scope.
   */
  logits(tokens: tf.Tensor2D, classes: tf.Tensor1D, lfTokens?: tf.Tensor2D): tf.Tensor3D {
    const { tokens: n, codebookSize: k, codeDim: d } = this.shape;
    const b = tokens.shape[0];
    let x = embed(tokens, this.tokEmb); // [B, N, d]
    if (this.mixW !== undefined && this.mixB !== undefined && this.lfTokEmb !== undefined) {
      if (lfTokens === undefined) throw new Error('the HF prior needs the LF tokens');
      const nl = this.shape.lf?.tokens ?? lfTokens.shape[1];
      const lfEmb = embed(lfTokens, this.lfTokEmb); // [B, N_lf, d]
      // Position mixing [N_hf, N_lf] · [N_lf, B·d]: one 2-D product for the whole batch.
      const cols = tf.reshape(tf.transpose(lfEmb, [1, 0, 2]), [nl, b * d]);
      const mixed = tf.add(matMulFast(this.mixW, cols), this.mixB); // [N_hf, B·d]
      const lfOnHf = tf.transpose(tf.reshape(mixed, [n, b, d]), [1, 0, 2]); // [B, N_hf, d]
      x = tf.concat([lfOnHf, x], -1); // [B, N_hf, 2d]
    }
    x = layerNorm(tf.add(x, this.pos1), this.ln1, 1e-12);
    const cls = embed(tf.reshape(classes, [b, 1]), this.clsEmb); // [B, 1, D_in]
    let h = denseFast(tf.concat([cls, x], 1), this.projIn); // [B, N+1, W]
    h = tf.add(h, tf.mul(this.pos2, this.config.width ** -0.5));
    for (const layer of this.layers) {
      h = tf.add(h, this.attention(rmsNorm(h, layer.attnNorm), layer));
      const hidden = gelu(denseFast(rmsNorm(h, layer.ffNorm), layer.ff1));
      h = tf.add(h, denseFast(hidden, layer.ff2));
    }
    h = denseFast(layerNorm(h, this.lnFinal, 1e-5), this.projOut); // [B, N+1, D_in]
    h = layerNorm(gelu(denseFast(h, this.head)), this.headLn, 1e-12); // [B, N+1, d]
    h = tf.slice(h, [0, 1, 0], [b, n, d]); // drop the class slot → [B, N, d]
    // Tied output h · tokEmbᵀ, with an explicit transpose (no transposeB in hot products, tfjs.md §8).
    const table = { kernel: tf.transpose(this.tokEmb, [1, 0]) };
    const full = tf.add(denseFast(h, table), this.logitBias); // [B, N, K+1]
    return tf.slice(full, [0, 0, 0], [b, n, k]) as tf.Tensor3D; // drop the mask column
  }

  /** Multi-head self-attention over the full sequence, no causal mask. x [B, S, W] → [B, S, W]. */
  private attention(x: tf.Tensor, p: LayerParams): tf.Tensor {
    const [b, s] = x.shape;
    const { heads, headDim } = this.config;
    const split = (w: DenseParams): tf.Tensor => tf.reshape(denseFast(x, w), [b, s, heads, headDim]);
    const q = tf.transpose(tf.mul(split(p.wq), headDim ** -0.5), [0, 2, 1, 3]); // [B, H, S, dh]
    const kT = tf.transpose(split(p.wk), [0, 2, 3, 1]); // [B, H, dh, S]
    const v = tf.transpose(split(p.wv), [0, 2, 1, 3]); // [B, H, S, dh]
    const att = tf.softmax(matMulFast(q, kT)); // [B, H, S, S]
    const o = tf.transpose(matMulFast(att, v), [0, 2, 1, 3]); // [B, S, H, dh]
    return denseFast(tf.reshape(o, [b, s, heads * headDim]), p.wo);
  }

  dispose(): void {
    this.store.dispose();
  }
}
