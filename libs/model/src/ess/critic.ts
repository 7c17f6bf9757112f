import type * as tf from '@tensorflow/tfjs-core';
import { type BranchPrior } from '../prior/network';
import { type ClassInput } from '../sampling/helpers';
import { type BranchRunner, asBranchRunner } from '../sampling/runner';

/**
 * Self-Token-Critic (ess.md §5.2): the trained prior scores its own tokens. All host arrays are row-major [B, N].
 */

/** Squared Euclidean distances between stage-1 codebook vectors, float64 [K, K] row-major. */
export function codeDistanceTable(codebook: tf.Tensor2D): Float64Array {
  const [k, d] = codebook.shape;
  const code = codebook.dataSync();
  const table = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      let sum = 0;
      for (let j = 0; j < d; j++) {
        const diff = code[a * d + j] - code[b * d + j];
        sum += diff * diff;
      }
      table[a * k + b] = sum;
      table[b * k + a] = sum;
    }
  }
  return table;
}

/** What the critic and reverse sampling need of one branch. */
export interface CriticContext {
  /** The branch prior (run on tfjs) or a runner of any inference engine. */
  readonly prior: BranchPrior | BranchRunner;
  /** codeDistanceTable of the branch's stage-1 codebook. */
  readonly distances: Float64Array;
  /** Code dimension d (for per-element errors). */
  readonly codeDim: number;
  /** Prior rows (sequences) per pass; bounds memory. */
  readonly rowsPerPass: number;
  /** Critic softmax temperature (EssConfig.criticTemperature); 1 when absent, as in the spec. */
  readonly temperature?: number;
  readonly signal?: AbortSignal;
}

/** Counts prior passes (one pass = one sequence through the prior) for the §5.5 cost check. */
export interface PassCounter {
  passes: number;
}

/**
 * argmax of the unguided prior at chosen positions. rows [R, N] int32 (mask id allowed), position[R] (which
 * position of each row to read, or -1 for all positions), sample[R] (the request sample each row belongs to, for
 * classes and LF conditioning). Returns [R] (one position) or [R, N] (all positions) argmax ids. Runs in chunks of
 * `rowsPerPass` rows and yields between chunks.
 */
export async function priorArgmax(
  ctx: CriticContext,
  rows: Int32Array,
  position: Int32Array | null,
  sample: Int32Array,
  classes: ClassInput,
  lfIds: Int32Array | undefined,
  counter?: PassCounter,
): Promise<Int32Array> {
  const { rowsPerPass, signal } = ctx;
  const runner = asBranchRunner(ctx.prior);
  const n = runner.shape.tokens;
  const r = sample.length;
  const nl = runner.shape.lf?.tokens ?? 0;
  const out = new Int32Array(position === null ? r * n : r);
  for (let start = 0; start < r; start += rowsPerPass) {
    signal?.throwIfAborted();
    const c = Math.min(rowsPerPass, r - start);
    const cls = new Int32Array(c);
    const lf = lfIds === undefined ? undefined : new Int32Array(c * nl);
    for (let i = 0; i < c; i++) {
      const s = sample[start + i];
      cls[i] = classes === null ? runner.noClass : classes[s];
      lf?.set(lfIds!.subarray(s * nl, (s + 1) * nl), i * nl);
    }
    const tokens = rows.subarray(start * n, (start + c) * n);
    const pred = await runner.argmaxOf({ batch: c, tokens, classes: cls, lfTokens: lf }); // [c, N]
    if (position === null) out.set(pred, start * n);
    else for (let i = 0; i < c; i++) out[start + i] = pred[i * n + position[start + i]];
    if (counter !== undefined) counter.passes += c;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out;
}

/**
 * Raw critic distances dist[b, n] = ‖codebook[s[b,n]] − codebook[pred]‖², pred = argmax prior(s with n masked)[n]
 * without guidance. The B·N masked copies are batched `rowsPerPass` at a time. s must hold no mask id.
 */
export async function criticDistances(
  ctx: CriticContext,
  s: Int32Array,
  batch: number,
  classes: ClassInput,
  lfIds?: Int32Array,
  counter?: PassCounter,
): Promise<Float64Array> {
  const { tokens: n, codebookSize: k } = ctx.prior.shape;
  if (s.length !== batch * n) throw new RangeError(`critic: ${s.length} ids for [${batch}, ${n}]`);
  if (s.some((id) => id < 0 || id >= k))
    throw new RangeError('critic: token grid holds a mask or invalid id');
  const rows = new Int32Array(batch * n * n);
  const position = new Int32Array(batch * n);
  const sample = new Int32Array(batch * n);
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < n; p++) {
      const row = b * n + p;
      rows.set(s.subarray(b * n, (b + 1) * n), row * n);
      rows[row * n + p] = k;
      position[row] = p;
      sample[row] = b;
    }
  }
  const pred = await priorArgmax(ctx, rows, position, sample, classes, lfIds, counter);
  const dist = new Float64Array(batch * n);
  for (let j = 0; j < dist.length; j++) dist[j] = ctx.distances[s[j] * k + pred[j]];
  return dist;
}

/** Throws unless the critic temperature is a positive finite number; `name` is how the caller calls it. */
export function assertCriticTemperature(temperature: number, name = 'critic temperature'): void {
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw new RangeError(`${name} must be a positive finite number, got ${temperature}`);
}

/**
 * softmax over n of −dist/temperature, per row, in float64 (ess.md §5.2 with temperature 1): rows sum to 1, values
 * in (0, 1].
 */
export function criticScores(
  dist: Float64Array,
  batch: number,
  tokens: number,
  temperature = 1,
): Float64Array {
  assertCriticTemperature(temperature);
  const out = new Float64Array(dist.length);
  for (let b = 0; b < batch; b++) {
    const base = b * tokens;
    let min = Infinity;
    for (let n = 0; n < tokens; n++) min = Math.min(min, dist[base + n]);
    let sum = 0;
    for (let n = 0; n < tokens; n++) {
      out[base + n] = Math.exp(-(dist[base + n] - min) / temperature);
      sum += out[base + n];
    }
    for (let n = 0; n < tokens; n++) out[base + n] /= sum;
  }
  return out;
}

/** critic(s, cls) of §5.2: the softmax scores and the raw distances they come from. */
export async function selfTokenCritic(
  ...args: Parameters<typeof criticDistances>
): Promise<{ scores: Float64Array; distances: Float64Array }> {
  const [ctx, , batch] = args;
  const distances = await criticDistances(...args);
  return { scores: criticScores(distances, batch, ctx.prior.shape.tokens, ctx.temperature), distances };
}
