import * as tf from '@tensorflow/tfjs-core';
import { type SeededRng } from '@maskgen/tensor';
import { type MaskRule } from './config';
import { trainingMask } from './masking';
import { type TimeVqPrior } from './model';

/** Token grids of a split as host arrays: ids row-major [M, N_lf] and [M, N_hf], with class labels [M]. */
export interface TokenSplit {
  readonly lf: Int32Array;
  readonly hf: Int32Array;
  readonly labels: Int32Array;
}

export interface MaskedAccuracy {
  /** Share of masked positions whose argmax prediction is the true id, per branch. */
  readonly lf: number;
  readonly hf: number;
  /** Same positions predicted by the most frequent id of the reference split (global unigram). */
  readonly unigram: { readonly lf: number; readonly hf: number };
  /** Same positions predicted by the most frequent id at each position (per-position unigram). */
  readonly positionalUnigram: { readonly lf: number; readonly hf: number };
  readonly maskedPositions: { readonly lf: number; readonly hf: number };
}

/** Most frequent id overall and at every position of ids [M, N] (ties: lowest id). */
function unigramTables(
  ids: Int32Array,
  tokens: number,
  k: number,
): { global: number; positional: Int32Array } {
  const counts = new Float64Array(k);
  const perPosition = new Float64Array(tokens * k);
  ids.forEach((id, i) => {
    counts[id]++;
    perPosition[(i % tokens) * k + id]++;
  });
  const argmax = (values: Float64Array, offset: number): number => {
    let best = 0;
    for (let j = 1; j < k; j++) if (values[offset + j] > values[offset + best]) best = j;
    return best;
  };
  return {
    global: argmax(counts, 0),
    positional: Int32Array.from({ length: tokens }, (_, n) => argmax(perPosition, n * k)),
  };
}

/** Masked positions of one branch, and how many of them each predictor got right. */
interface BranchHits {
  masked: number;
  prior: number;
  unigram: number;
  positional: number;
}

/** Counts one chunk's masked positions of one branch (ids [b, tokens]) into `hits`. */
function countMaskedHits(
  hits: BranchHits,
  ids: Int32Array,
  mask: Uint8Array,
  predicted: ArrayLike<number>,
  table: { global: number; positional: Int32Array },
  tokens: number,
): void {
  ids.forEach((id, i) => {
    if (mask[i] !== 1) return;
    hits.masked++;
    if (predicted[i] === id) hits.prior++;
    if (table.global === id) hits.unigram++;
    if (table.positional[i % tokens] === id) hits.positional++;
  });
}

/**
 * Masked-token accuracy of both priors on `split` (e.g. the test tokens), against unigram baselines fitted on
 * `reference` (the train tokens). Masks follow the training rule; HF sees the clean LF ids; labels are passed as
 * class input (or "no class" when `conditional` is false). Inference only, `chunk` series at a time.
 */
export function maskedTokenAccuracy(
  prior: TimeVqPrior,
  split: TokenSplit,
  reference: TokenSplit,
  options: {
    readonly rule: MaskRule;
    readonly rng: SeededRng;
    readonly conditional: boolean;
    readonly chunk?: number;
  },
): MaskedAccuracy {
  const { lfTokens: nl, hfTokens: nh, lfCodebookSize: kl, hfCodebookSize: kh } = prior.shapes;
  const count = split.labels.length;
  const chunk = options.chunk ?? 64;
  const tables = { lf: unigramTables(reference.lf, nl, kl), hf: unigramTables(reference.hf, nh, kh) };
  const noHits = (): BranchHits => ({ masked: 0, prior: 0, unigram: 0, positional: 0 });
  const hits = { lf: noHits(), hf: noHits() };
  for (let start = 0; start < count; start += chunk) {
    const b = Math.min(chunk, count - start);
    const lfIds = split.lf.subarray(start * nl, (start + b) * nl);
    const hfIds = split.hf.subarray(start * nh, (start + b) * nh);
    const lfMask = trainingMask(b, nl, options.rule, options.rng.fork(`lf-${start}`));
    const hfMask = trainingMask(b, nh, options.rule, options.rng.fork(`hf-${start}`));
    const classes = options.conditional
      ? split.labels.slice(start, start + b)
      : new Int32Array(b).fill(prior.noClass);
    const [lfPred, hfPred] = tf.tidy((): tf.Tensor[] => {
      const cls = tf.tensor1d(classes, 'int32');
      const lfClean = tf.tensor2d(lfIds, [b, nl], 'int32');
      const lfIn = tf.tensor2d(
        lfIds.map((id, i) => (lfMask[i] === 1 ? kl : id)),
        [b, nl],
        'int32',
      );
      const hfIn = tf.tensor2d(
        hfIds.map((id, i) => (hfMask[i] === 1 ? kh : id)),
        [b, nh],
        'int32',
      );
      return [tf.argMax(prior.lf.logits(lfIn, cls), -1), tf.argMax(prior.hf.logits(hfIn, cls, lfClean), -1)];
    });
    const lfP = lfPred.dataSync();
    const hfP = hfPred.dataSync();
    tf.dispose([lfPred, hfPred]);
    countMaskedHits(hits.lf, lfIds, lfMask, lfP, tables.lf, nl);
    countMaskedHits(hits.hf, hfIds, hfMask, hfP, tables.hf, nh);
  }
  const share = (branch: BranchHits, of: keyof BranchHits): number =>
    branch.masked === 0 ? Number.NaN : branch[of] / branch.masked;
  const ratio = (of: keyof BranchHits) => ({ lf: share(hits.lf, of), hf: share(hits.hf, of) });
  return {
    ...ratio('prior'),
    unigram: ratio('unigram'),
    positionalUnigram: ratio('positional'),
    maskedPositions: { lf: hits.lf.masked, hf: hits.hf.masked },
  };
}

/**
 * 1-nearest-neighbour classifier (Euclidean), the classic UCR baseline, "trained" on `train`: returns the label of
 * the closest training series for each query. Series must have the same length.
 */
export function nearestNeighbourLabels(
  train: readonly Float32Array[],
  trainLabels: Int32Array,
  queries: readonly Float32Array[],
): Int32Array {
  return Int32Array.from(queries, (q) => {
    let best = -1;
    let bestDist = Infinity;
    train.forEach((x, i) => {
      if (x.length !== q.length) throw new RangeError(`series lengths differ: ${x.length} vs ${q.length}`);
      let d = 0;
      for (let t = 0; t < x.length; t++) d += (x[t] - q[t]) ** 2;
      if (d < bestDist) {
        bestDist = d;
        best = i;
      }
    });
    return trainLabels[best];
  });
}
