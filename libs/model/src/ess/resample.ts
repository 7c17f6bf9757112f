import { type SeededRng } from '@maskgen/tensor';
import { type SamplingConfig } from '../prior/config';
import { maskedCount } from '../prior/masking';
import { type ClassInput, bottomK, gumbel } from '../sampling/helpers';
import { drawStage, stepStreams } from '../sampling/naive';
import { asBranchRunner, branchLogits } from '../sampling/runner';
import { type CriticContext, type PassCounter, selfTokenCritic } from './critic';

export interface ResampleOptions {
  readonly tStar: number;
  readonly config: SamplingConfig;
  readonly classes: ClassInput;
  readonly lfIds?: Int32Array;
  /** Guide the draws (LF: whenever a class is given; HF: only when w > 1, as naive decoding does). */
  readonly guide: boolean;
  readonly keepVisible: boolean;
  readonly skipNoOpStep: boolean;
  /** Stream of this branch's resampling; per-sample streams fork from it exactly as in naive decoding. */
  readonly rng: SeededRng;
  /** Index of the first sample in the whole request. */
  readonly firstIndex: number;
  /**
   * Request index of every row, when the rows are not the contiguous samples firstIndex.. (per-sample t* resamples
   * groups of samples); a sample's noise depends only on this index.
   */
  readonly sampleIndex?: Int32Array;
  /** Rows per guided draw pass. */
  readonly drawRows: number;
  /** Called with each step's state after re-masking and the draw it came from (tests check §5.4 on them). */
  readonly onStep?: (t: number, s: Int32Array, draw: Int32Array) => void;
}

function rowStreams(options: ResampleOptions, start: number, batch: number, t: number): SeededRng[] {
  const index = options.sampleIndex;
  if (index === undefined) return stepStreams(options.rng, options.firstIndex + start, batch, t);
  return Array.from({ length: batch }, (_, i) => stepStreams(options.rng, index[start + i], 1, t)[0]);
}

/** Guided (or plain) logits of s in chunks, drawn with per-sample streams; returns draw and p. */
async function drawChunked(
  ctx: CriticContext,
  s: Int32Array,
  batch: number,
  options: ResampleOptions,
  t: number,
  keep: boolean,
  counter?: PassCounter,
): Promise<Int32Array> {
  const runner = asBranchRunner(ctx.prior);
  const { tokens: n, codebookSize: k } = runner.shape;
  const nl = runner.shape.lf?.tokens ?? 0;
  const draw = new Int32Array(batch * n);
  const chunk = Math.max(1, options.drawRows);
  for (let start = 0; start < batch; start += chunk) {
    ctx.signal?.throwIfAborted();
    const b = Math.min(chunk, batch - start);
    const sc = s.subarray(start * n, (start + b) * n);
    const cls = options.classes === null ? null : options.classes.slice(start, start + b);
    const logits = await branchLogits(runner, sc, cls, b, {
      guide: options.guide,
      scale: options.config.guidanceScale,
      lfTokens: options.lfIds?.subarray(start * nl, (start + b) * nl),
    });
    const streams = rowStreams(options, start, b, t);
    // keepVisible = false redraws every position (R): present an all-masked state to the draw stage.
    draw.set(drawStage(logits, keep ? sc : new Int32Array(b * n).fill(k), k, streams).draw, start * n);
    if (counter !== undefined) counter.passes += (options.guide && cls !== null ? 2 : 1) * b;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return draw;
}

/**
 * Critical resampling (ess.md §5.4) from s* (masked positions hold K): for t = t*..T−1 draw, score the draw with the
 * self-critic, and re-mask the m(t+1) lowest of ln(c + 1e-5) + τ(1 − r)·gumbel (+∞ on known positions under
 * keepVisible). Returns the final ids (no mask id).
 */
export async function criticalResample(
  ctx: CriticContext,
  sStar: Int32Array,
  batch: number,
  options: ResampleOptions,
  counter?: PassCounter,
): Promise<Int32Array> {
  const { config, tStar, keepVisible } = options;
  const { tokens: n, codebookSize: k } = ctx.prior.shape;
  let s = sStar.slice();
  // Only D's t* iteration is a no-op; under R it re-selects among a fresh full draw, so it always runs (§10).
  const first = keepVisible && options.skipNoOpStep ? tStar + 1 : tStar;
  for (let t = first; t < config.steps; t++) {
    ctx.signal?.throwIfAborted();
    const draw = await drawChunked(ctx, s, batch, options, t, keepVisible, counter);
    const { scores } = await selfTokenCritic(ctx, draw, batch, options.classes, options.lfIds, counter);
    const r = (t + 1) / config.steps;
    const noiseScale = config.choiceTemperature * (1 - r);
    const score = new Float64Array(batch * n);
    const streams = rowStreams(options, 0, batch, t);
    for (let i = 0; i < batch; i++) {
      const g = streams[i].fork('choice');
      for (let j = i * n; j < (i + 1) * n; j++) {
        const conf = keepVisible && s[j] !== k ? Infinity : Math.log(scores[j] + 1e-5);
        score[j] = conf + noiseScale * gumbel(g);
      }
    }
    const remask = bottomK(score, batch, n, maskedCount(n, config.steps, t + 1));
    s = draw.map((id, j) => (remask[j] === 1 ? k : id));
    options.onStep?.(t, s, draw);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (s.includes(k)) throw new Error('critical resampling left masked tokens');
  return s;
}
