import { type SeededRng } from '@maskgen/tensor';
import { type SamplingConfig, checkSamplingConfig } from '../prior/config';
import { maskedCount } from '../prior/masking';
import { type BranchPrior } from '../prior/network';
import { type ClassInput, bottomK, gumbel } from './helpers';
import { type BranchRunner, type PriorSource, asBranchRunner, asPriorRunner, branchLogits } from './runner';

/**
 * How one branch was decoded, per position, row-major [B, N]. The state after step t is recoverable as
 * `idsAfterStep(trajectory, t)`: a position is visible from the step it was fixed at and never changes after.
 */
export interface BranchTrajectory {
  readonly batch: number;
  /** N of the branch. */
  readonly tokens: number;
  /** The mask id K. */
  readonly maskId: number;
  /** T. */
  readonly steps: number;
  /** Final ids [B, N]; no mask id. */
  readonly ids: Int32Array;
  /** Step t ∈ 0..T−1 at whose end the position was fixed (revealed). */
  readonly fixedAt: Int32Array;
  /** Probability of the fixed id under that step's (guided) logits, softmax at temperature 1. */
  readonly probability: Float32Array;
  /** That step's confidence ln(p + 1e-5), before the Gumbel choice noise; float64 as computed. */
  readonly confidence: Float64Array;
}

/** Result of naive decoding: LF first, then HF conditioned on the final LF ids (ess.md §5.1). */
export interface NaiveSamples {
  readonly lf: BranchTrajectory;
  readonly hf: BranchTrajectory;
  /** Class input per sample as given (null: unconditional). */
  readonly classes: ClassInput;
}

/** ids after step t (0-based): fixed positions keep their id, the rest hold the mask id. */
export function idsAfterStep(trajectory: BranchTrajectory, t: number): Int32Array {
  return trajectory.ids.map((id, i) => (trajectory.fixedAt[i] <= t ? id : trajectory.maskId));
}

/**
 * Per-sample random streams of one step. A sample's noise depends only on the seed, the branch, its index in the
 * whole request and the step, so chunking or batch composition never changes what it draws.
 */
export function stepStreams(rng: SeededRng, firstIndex: number, batch: number, step: number): SeededRng[] {
  return Array.from({ length: batch }, (_, i) => rng.fork(`sample-${firstIndex + i}`).fork(`step-${step}`));
}

/**
 * Draw stage of a step: one categorical draw per position at temperature 1 (Gumbel-max with each sample's own
 * stream), known positions keep their id, and p = softmax(logits)[draw].
 * logits [B, N, K] row-major, s [B, N] → draw [B, N], p [B, N]. Host arrays, so every engine draws alike.
 */
export function drawStage(
  logits: Float32Array,
  s: Int32Array,
  maskId: number,
  streams: readonly SeededRng[],
): { draw: Int32Array; prob: Float32Array } {
  const b = streams.length;
  const n = s.length / b;
  const k = logits.length / s.length;
  if (!Number.isInteger(n) || !Number.isInteger(k)) {
    throw new RangeError(`drawStage: ${logits.length} logits and ${s.length} ids for ${b} samples`);
  }
  const draw = new Int32Array(b * n);
  const prob = new Float32Array(b * n);
  for (let i = 0; i < b; i++) {
    const r = streams[i].fork('draw');
    for (let j = i * n; j < (i + 1) * n; j++) {
      const base = j * k;
      // The noise is drawn for every position (known or not) so a sample's stream never depends on its state.
      let best = 0;
      let bestScore = -Infinity;
      let max = -Infinity;
      for (let c = 0; c < k; c++) {
        const l = logits[base + c];
        if (l > max) max = l;
        const v = Math.fround(l + gumbel(r));
        if (v > bestScore) {
          bestScore = v;
          best = c;
        }
      }
      const id = s[j] !== maskId ? s[j] : best;
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(logits[base + c] - max);
      draw[j] = id;
      prob[j] = id >= 0 && id < k ? Math.exp(logits[base + id] - max) / sum : 0;
    }
  }
  return { draw, prob };
}

/**
 * Selection stage of step t: conf = ln(p + 1e-5) (+∞ where already known), then the m(t+1) lowest of
 * conf + τ·(1 − r)·gumbel are re-masked, r = (t+1)/T. Returns the next state [B, N] and conf.
 */
export function selectStage(
  s: Int32Array,
  draw: Int32Array,
  prob: Float32Array,
  t: number,
  config: Pick<SamplingConfig, 'steps' | 'choiceTemperature'>,
  maskId: number,
  streams: readonly SeededRng[],
): { next: Int32Array; confidence: Float64Array } {
  const b = streams.length;
  const n = s.length / b;
  const r = (t + 1) / config.steps;
  const noiseScale = config.choiceTemperature * (1 - r);
  const confidence = new Float64Array(b * n);
  const score = new Float64Array(b * n);
  for (let i = 0; i < b; i++) {
    const g = streams[i].fork('choice');
    for (let j = i * n; j < (i + 1) * n; j++) {
      confidence[j] = s[j] !== maskId ? Infinity : Math.log(prob[j] + 1e-5);
      score[j] = confidence[j] + noiseScale * gumbel(g);
    }
  }
  const remask = bottomK(score, b, n, maskedCount(n, config.steps, t + 1));
  const next = draw.map((id, j) => (remask[j] === 1 ? maskId : id));
  return { next, confidence };
}

export interface BranchDecodeOptions {
  readonly batch: number;
  readonly classes: ClassInput;
  /** HF only: the final LF ids [B, N_lf] to condition on. */
  readonly lfIds?: Int32Array;
  readonly config: SamplingConfig;
  /** Whether a class input gets classifier-free guidance: R guides LF always, HF only when w > 1 (ess.md §5.1). */
  readonly guide: boolean;
  /** The branch's stream; per-sample streams fork from it. */
  readonly rng: SeededRng;
  /** Index of this chunk's first sample in the whole request. */
  readonly firstIndex: number;
  readonly signal?: AbortSignal;
}

/** Naive iterative decoding of one branch for one chunk (ess.md §5.1); yields to the event loop between steps. */
export async function decodeBranchNaive(
  source: BranchPrior | BranchRunner,
  options: BranchDecodeOptions,
): Promise<BranchTrajectory> {
  const runner = asBranchRunner(source);
  const { batch: b, classes, config, rng, firstIndex, signal } = options;
  const { tokens: n, codebookSize: maskId } = runner.shape;
  let s: Int32Array = new Int32Array(b * n).fill(maskId);
  const fixedAt = new Int32Array(b * n).fill(-1);
  const probability = new Float32Array(b * n);
  const confidence = new Float64Array(b * n);
  for (let t = 0; t < config.steps; t++) {
    signal?.throwIfAborted();
    const streams = stepStreams(rng, firstIndex, b, t);
    const logits = await branchLogits(runner, s, classes, b, {
      guide: options.guide,
      scale: config.guidanceScale,
      lfTokens: options.lfIds,
    });
    const drawn = drawStage(logits, s, maskId, streams);
    const { next, confidence: conf } = selectStage(s, drawn.draw, drawn.prob, t, config, maskId, streams);
    for (let j = 0; j < next.length; j++) {
      if (s[j] === maskId && next[j] !== maskId) {
        fixedAt[j] = t;
        probability[j] = drawn.prob[j];
        confidence[j] = conf[j];
      }
    }
    s = next;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (s.includes(maskId)) {
    // γ(1)·N floors to 0 for every N, so this means the schedule or the selection is broken.
    throw new Error(`naive decoding left ${s.filter((id) => id === maskId).length} masked tokens`);
  }
  return { batch: b, tokens: n, maskId, steps: config.steps, ids: s, fixedAt, probability, confidence };
}

export interface NaiveDecodeOptions {
  /** Number of samples. */
  readonly count: number;
  /** One class per sample (0..classes−1, or the prior's noClass), or null for all unconditional. */
  readonly classes: ClassInput;
  readonly config: SamplingConfig;
  readonly rng: SeededRng;
  /** Bound on the tensors alive at once; sets the chunk size (default: the runner's, 512 MiB on tfjs). */
  readonly memoryBudgetBytes?: number;
  readonly signal?: AbortSignal;
  /** Called after each finished chunk with the number of samples done. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Samples per chunk under a memory budget: a pass of the HF prior (the larger branch) holds about three
 * [H, S, S] attention maps and sixteen [S, max(width, ff)] activations per sample, doubled under guidance.
 * Capped at the runner's largest batch.
 */
export function naiveChunkSize(source: PriorSource, budgetBytes?: number): number {
  const runner = asPriorRunner(source);
  const { heads, width, ffMult } = runner.network;
  const seq = Math.max(runner.shapes.lfTokens, runner.shapes.hfTokens) + 1;
  const perSample = 2 * 4 * (3 * heads * seq * seq + 16 * seq * Math.max(width, ffMult * width));
  const fit = Math.floor((budgetBytes ?? runner.memoryBudgetBytes) / perSample);
  return Math.max(1, Math.min(runner.maxBatch, fit));
}

/** One trajectory of the samples of `parts` (chunks of the same branch, in order): what chunked samplers return. */
export function concatTrajectories(parts: readonly BranchTrajectory[]): BranchTrajectory {
  if (parts.length === 1) return parts[0];
  const join = <A extends Int32Array | Float32Array | Float64Array>(pick: (p: BranchTrajectory) => A): A => {
    const total = parts.reduce((sum, p) => sum + pick(p).length, 0);
    const out = new (pick(parts[0]).constructor as new (n: number) => A)(total);
    let offset = 0;
    for (const p of parts) {
      out.set(pick(p), offset);
      offset += pick(p).length;
    }
    return out;
  };
  return {
    ...parts[0],
    batch: parts.reduce((sum, p) => sum + p.batch, 0),
    ids: join((p) => p.ids),
    fixedAt: join((p) => p.fixedAt),
    probability: join((p) => p.probability),
    confidence: join((p) => p.confidence),
  };
}

/**
 * Naive decoding of `count` samples: per chunk, LF (guided whenever a class is given) and then HF conditioned on
 * the final LF ids (guided only when w > 1), as the released code does (ess.md §5.1).
 */
export async function naiveDecode(source: PriorSource, options: NaiveDecodeOptions): Promise<NaiveSamples> {
  const prior = asPriorRunner(source);
  const { count, classes, config, rng, signal } = options;
  if (!Number.isInteger(count) || count <= 0)
    throw new RangeError(`sample count must be positive, got ${count}`);
  if (classes !== null && classes.length !== count) {
    throw new RangeError(`${classes.length} class ids for ${count} samples`);
  }
  checkSamplingConfig(config);
  const chunk = Math.min(count, naiveChunkSize(prior, options.memoryBudgetBytes));
  const lfParts: BranchTrajectory[] = [];
  const hfParts: BranchTrajectory[] = [];
  for (let start = 0; start < count; start += chunk) {
    const b = Math.min(chunk, count - start);
    const chunkClasses = classes === null ? null : classes.slice(start, start + b);
    const common = { batch: b, classes: chunkClasses, config, firstIndex: start, signal };
    const lf = await decodeBranchNaive(prior.lf, { ...common, guide: true, rng: rng.fork('lf') });
    const hf = await decodeBranchNaive(prior.hf, {
      ...common,
      lfIds: lf.ids,
      guide: config.guidanceScale > 1,
      rng: rng.fork('hf'),
    });
    lfParts.push(lf);
    hfParts.push(hf);
    options.onProgress?.(start + b, count);
  }
  return { lf: concatTrajectories(lfParts), hf: concatTrajectories(hfParts), classes };
}
