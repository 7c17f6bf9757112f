import * as tf from '@tensorflow/tfjs-core';
import { SeededRng, serializeCheckpoint, restoreFromCheckpoint, type CheckpointMeta } from '@maskgen/tensor';
import { type PriorNetworkConfig } from './config';
import { BranchPrior } from './network';

/** Sizes that fix the shapes of both branch priors. */
export interface PriorShapes {
  readonly lfTokens: number;
  readonly hfTokens: number;
  readonly lfCodebookSize: number;
  readonly hfCodebookSize: number;
  readonly codeDim: number;
  readonly numClasses: number;
}

/**
 * GunPoint's token grids with the paper's stage 1 (ess.md §8.2): the shapes the sampler tests and benchmarks give a
 * prior with random weights.
 */
export const GUNPOINT_PRIOR_SHAPES: PriorShapes = {
  lfTokens: 45,
  hfTokens: 190,
  lfCodebookSize: 32,
  hfCodebookSize: 32,
  codeDim: 64,
  numClasses: 2,
};

/** The two priors of TimeVQVAE: LF over LF tokens, HF over HF tokens given the clean LF tokens (ess.md §4). */
export class TimeVqPrior {
  readonly lf: BranchPrior;
  readonly hf: BranchPrior;

  constructor(
    readonly shapes: PriorShapes,
    readonly network: PriorNetworkConfig,
    /** Stage-1 codebooks [K, d], copied into the token tables' first K rows. */
    codebooks: { readonly lf: tf.Tensor2D; readonly hf: tf.Tensor2D },
    rng: SeededRng,
  ) {
    const { lfTokens, hfTokens, lfCodebookSize, hfCodebookSize, codeDim, numClasses } = shapes;
    this.lf = new BranchPrior(
      { branch: 'lf', tokens: lfTokens, codebookSize: lfCodebookSize, codeDim, numClasses },
      network,
      { codebook: codebooks.lf },
      rng.fork('lf'),
    );
    this.hf = new BranchPrior(
      {
        branch: 'hf',
        tokens: hfTokens,
        codebookSize: hfCodebookSize,
        codeDim,
        numClasses,
        lf: { tokens: lfTokens, codebookSize: lfCodebookSize },
      },
      network,
      { codebook: codebooks.hf, lfCodebook: codebooks.lf },
      rng.fork('hf'),
    );
  }

  /** Class id meaning "no class" (unconditional). */
  get noClass(): number {
    return this.shapes.numClasses;
  }

  variables(): Record<string, tf.Variable> {
    return { ...this.lf.store.params(), ...this.hf.store.params() };
  }

  parameterCount(): { lf: number; hf: number } {
    return { lf: this.lf.store.parameterCount(), hf: this.hf.store.parameterCount() };
  }

  dispose(): void {
    this.lf.dispose();
    this.hf.dispose();
  }
}

const CHECKPOINT_KIND = 'maskgen-prior';

/** Checkpoint bytes holding the weights, shapes and network config; `meta` is stored alongside. */
export function serializePrior(prior: TimeVqPrior, meta: Record<string, unknown> = {}): Buffer {
  return serializeCheckpoint(prior.variables(), {
    ...meta,
    kind: CHECKPOINT_KIND,
    shapes: prior.shapes,
    network: prior.network,
  });
}

/** Rebuilds a prior from `serializePrior` bytes; returns it with the stored metadata. */
export function deserializePrior(bytes: Uint8Array): { prior: TimeVqPrior; meta: Record<string, unknown> } {
  const build = (meta: CheckpointMeta) => {
    if (meta.kind !== CHECKPOINT_KIND) {
      throw new Error(`not a prior checkpoint (kind ${JSON.stringify(meta.kind)})`);
    }
    const shapes = meta.shapes as PriorShapes;
    // The token tables are overwritten by the checkpoint, so any codebook of the right shape will do.
    const lf = tf.zeros<tf.Rank.R2>([shapes.lfCodebookSize, shapes.codeDim]);
    const hf = tf.zeros<tf.Rank.R2>([shapes.hfCodebookSize, shapes.codeDim]);
    const prior = new TimeVqPrior(
      shapes,
      meta.network as PriorNetworkConfig,
      { lf, hf },
      new SeededRng('load'),
    );
    tf.dispose([lf, hf]);
    return prior;
  };
  const { model, meta } = restoreFromCheckpoint(bytes, build, (prior) => prior.variables());
  return { prior: model, meta: { ...meta } };
}
