import type * as tf from '@tensorflow/tfjs-core';
import { type SeededRng } from '@maskgen/tensor';
import { PRIOR_PAPER, type SamplingConfig } from '../prior/config';
import { type Stage1ForPrior } from '../prior/stage1';
import { type ClassInput } from '../sampling/helpers';
import { type DecodedSeries, decodeSamples } from '../sampling/decode';
import { type BranchTrajectory, decodeBranchNaive, naiveChunkSize, naiveDecode } from '../sampling/naive';
import { type BranchRunner, type PriorSource, asPriorRunner } from '../sampling/runner';
import { ESS_DEFAULTS, ESS_VARIANTS, type EssConfig, keepsVisible } from './config';
import {
  type CriticContext,
  type PassCounter,
  assertCriticTemperature,
  codeDistanceTable,
  selfTokenCritic,
} from './critic';
import { criticalReverse } from './reverse';
import { criticalResample } from './resample';

export type SamplerMethod = 'naive' | 'ess';

export interface SamplerOptions {
  readonly method: SamplerMethod;
  readonly count: number;
  /** One class per sample, or null: unconditional. */
  readonly classes: ClassInput;
  /** Naive decoding settings (T, τ, w); defaults to the spec's (10, 4, 1). */
  readonly sampling?: Partial<SamplingConfig>;
  /** ESS settings; defaults from the spec (ESS_DEFAULTS). Ignored by 'naive'. */
  readonly ess?: Partial<EssConfig>;
  readonly rng: SeededRng;
  /** Also score naive samples with the critic (costs N prior passes per sample and branch); ESS always scores. */
  readonly scoreNaive?: boolean;
  /** Decode the tokens to series through stage 1 (needs `stage1`). */
  readonly decode?: boolean;
  /** Bound on tensors alive at once (default: the runner's, 512 MiB on tfjs). */
  readonly memoryBudgetBytes?: number;
  readonly signal?: AbortSignal;
}

/** Critic view of one branch: scores on s_T (before) and on the output (after), with raw code distances. */
export interface BranchCritic {
  readonly before: Float64Array;
  readonly after: Float64Array;
  readonly distancesBefore: Float64Array;
  readonly distancesAfter: Float64Array;
}

export interface BranchEss {
  /** The request's t* (with perSampleTStar: the smallest per-sample t*). */
  readonly tStar: number;
  /** t* of every sample [B] (all equal to tStar unless perSampleTStar). */
  readonly tStarPerSample: Int32Array;
  /** 1 where reverse sampling re-masked the token, [B, N]. */
  readonly remasked: Uint8Array;
  readonly errors: readonly { t: number; err: number; movingAverage: number }[];
}

export interface SamplerResult {
  readonly method: SamplerMethod;
  readonly classes: ClassInput;
  /** Final ids [B, N] per branch. */
  readonly lf: Int32Array;
  readonly hf: Int32Array;
  /** The naive trajectories (s_T of ESS is `naive.lf.ids`); HF is the naive HF decode of the final LF ids. */
  readonly naive: { readonly lf: BranchTrajectory; readonly hf: BranchTrajectory };
  /** Per-branch critic scores; null for naive unless scoreNaive. Only branches ESS refines (or all, naive). */
  readonly critic: { readonly lf: BranchCritic | null; readonly hf: BranchCritic | null } | null;
  /** ESS details per refined branch (null where not refined). `errors` are empty with perSampleTStar. */
  readonly ess: { readonly lf: BranchEss | null; readonly hf: BranchEss | null } | null;
  /** Prior passes (sequences through a branch prior; guided passes count twice), per branch. */
  readonly priorPasses: { lf: number; hf: number };
  readonly series: DecodedSeries | null;
  /** The ESS settings this call ran with, defaults applied (runs record them); null for naive. */
  readonly essConfig: EssConfig | null;
}

/** Stage-1 codebooks, as `Stage1ForPrior.codebook` returns them. */
export type Codebooks = { readonly lf: tf.Tensor2D; readonly hf: tf.Tensor2D };

function context(
  prior: BranchRunner,
  codebook: tf.Tensor2D,
  rows: number,
  temperature: number,
  signal?: AbortSignal,
): CriticContext {
  return {
    prior,
    distances: codeDistanceTable(codebook),
    codeDim: codebook.shape[1],
    rowsPerPass: rows,
    temperature,
    signal,
  };
}

/**
 * One sampler for naive decoding (ess.md §5.1) and ESS (§5.5). ESS: naive LF → self-critic → critical reverse
 * sampling (t* shared by the whole request, R) → critical resampling → naive HF on the final LF ids
 * (→ the same on HF when applyTo = 'lf+hf'). Seeded per sample; with method 'naive' the output is naiveDecode's.
 */
export async function generateSamples(
  source: PriorSource,
  codebooks: Codebooks,
  options: SamplerOptions,
  stage1?: Stage1ForPrior,
): Promise<SamplerResult> {
  const prior = asPriorRunner(source);
  const { count, classes, rng, signal } = options;
  const config: SamplingConfig = { ...PRIOR_PAPER.sampling, ...options.sampling };
  const ess: EssConfig = { ...ESS_DEFAULTS, ...options.ess };
  // Checked before the naive stage, not first when the critic runs.
  assertCriticTemperature(ess.criticTemperature, 'ess.criticTemperature');
  if (!ESS_VARIANTS.includes(ess.variant)) {
    throw new RangeError(`ess.variant must be one of ${ESS_VARIANTS.join(', ')}, got ${String(ess.variant)}`);
  }
  if (options.decode === true && stage1 === undefined) throw new Error('decode needs stage 1');
  const chunk = Math.min(count, naiveChunkSize(prior, options.memoryBudgetBytes));
  // An unguided pass holds half of what naiveChunkSize budgets for a guided one.
  const rows = 2 * naiveChunkSize(prior, options.memoryBudgetBytes);
  const lfCtx = context(prior.lf, codebooks.lf, rows, ess.criticTemperature, signal);
  const hfCtx = context(prior.hf, codebooks.hf, rows, ess.criticTemperature, signal);
  const lfCount: PassCounter = { passes: 0 };
  const hfCount: PassCounter = { passes: 0 };
  const passes = (b: number, guided: boolean): number =>
    config.steps * b * (guided && classes !== null ? 2 : 1);

  const score = async (ctx: CriticContext, ids: Int32Array, lfIds?: Int32Array) =>
    selfTokenCritic(ctx, ids, count, classes, lfIds, ctx === lfCtx ? lfCount : hfCount);

  if (options.method === 'naive') {
    const naive = await naiveDecode(prior, {
      count,
      classes,
      config,
      rng,
      memoryBudgetBytes: options.memoryBudgetBytes,
      signal,
    });
    lfCount.passes += passes(count, true);
    hfCount.passes += passes(count, config.guidanceScale > 1);
    let critic: SamplerResult['critic'] = null;
    if (options.scoreNaive === true) {
      const lf = await score(lfCtx, naive.lf.ids);
      const hf = await score(hfCtx, naive.hf.ids, naive.lf.ids);
      const view = (c: typeof lf): BranchCritic => ({
        before: c.scores,
        after: c.scores,
        distancesBefore: c.distances,
        distancesAfter: c.distances,
      });
      critic = { lf: view(lf), hf: view(hf) };
    }
    return {
      method: 'naive',
      classes,
      lf: naive.lf.ids,
      hf: naive.hf.ids,
      naive,
      critic,
      ess: null,
      essConfig: null,
      priorPasses: { lf: lfCount.passes, hf: hfCount.passes },
      series: options.decode === true ? await decodeSamples(stage1!, naive, 64, signal) : null,
    };
  }

  // Naive branch decoding in chunks, with exactly naiveDecode's streams.
  const naiveBranch = async (branch: 'lf' | 'hf', lfIds?: Int32Array): Promise<BranchTrajectory> => {
    const parts: BranchTrajectory[] = [];
    const branchPrior = prior[branch];
    const guide = branch === 'lf' || config.guidanceScale > 1;
    const nl = prior.shapes.lfTokens;
    for (let start = 0; start < count; start += chunk) {
      const b = Math.min(chunk, count - start);
      parts.push(
        await decodeBranchNaive(branchPrior, {
          batch: b,
          classes: classes === null ? null : classes.slice(start, start + b),
          lfIds: lfIds?.slice(start * nl, (start + b) * nl),
          config,
          guide,
          rng: rng.fork(branch),
          firstIndex: start,
          signal,
        }),
      );
    }
    (branch === 'lf' ? lfCount : hfCount).passes += passes(count, guide);
    return concat(parts);
  };

  const refine = async (ctx: CriticContext, branch: 'lf' | 'hf', sT: Int32Array, lfIds?: Int32Array) => {
    const counter = branch === 'lf' ? lfCount : hfCount;
    const n = ctx.prior.shape.tokens;
    const nl = prior.shapes.lfTokens;
    const before = await score(ctx, sT, lfIds);
    const reverseOptions = {
      steps: config.steps,
      windowRate: ess.windowRate,
      threshold: ess.threshold,
      stopAt: ess.fixedTStar,
    };
    const resampleOptions = {
      config,
      guide: branch === 'lf' || config.guidanceScale > 1,
      keepVisible: keepsVisible(ess.variant),
      skipNoOpStep: ess.skipNoOpStep,
      rng: rng.fork(`ess-${branch}`),
      firstIndex: 0,
      drawRows: chunk,
    };
    let ids: Int32Array;
    let info: BranchEss;
    if (!ess.perSampleTStar) {
      const reverse = await criticalReverse(
        ctx,
        sT,
        count,
        before.scores,
        { ...reverseOptions, classes, lfIds },
        counter,
      );
      ids = await criticalResample(
        ctx,
        reverse.ids,
        count,
        { ...resampleOptions, tStar: reverse.tStar, classes, lfIds },
        counter,
      );
      info = {
        tStar: reverse.tStar,
        tStarPerSample: new Int32Array(count).fill(reverse.tStar),
        remasked: reverse.remasked,
        errors: reverse.errors,
      };
    } else {
      // Reverse sampling on each sample alone gives its own err and t*; then resample each group of equal t*.
      const rows = <A extends Int32Array | Float64Array>(
        a: A,
        indices: readonly number[],
        width: number,
      ): A => {
        const out = new (a.constructor as new (len: number) => A)(indices.length * width);
        indices.forEach((i, r) => out.set(a.subarray(i * width, (i + 1) * width), r * width));
        return out;
      };
      const sStar = new Int32Array(count * n);
      const remasked = new Uint8Array(count * n);
      const tStars = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const reverse = await criticalReverse(
          ctx,
          sT.subarray(i * n, (i + 1) * n),
          1,
          before.scores.subarray(i * n, (i + 1) * n),
          {
            ...reverseOptions,
            classes: classes === null ? null : classes.slice(i, i + 1),
            lfIds: lfIds?.slice(i * nl, (i + 1) * nl),
          },
          counter,
        );
        sStar.set(reverse.ids, i * n);
        remasked.set(reverse.remasked, i * n);
        tStars[i] = reverse.tStar;
      }
      ids = new Int32Array(count * n);
      for (const tStar of [...new Set(tStars)].sort((a, b) => a - b)) {
        const group = Array.from(tStars.keys()).filter((i) => tStars[i] === tStar);
        const out = await criticalResample(
          ctx,
          rows(sStar, group, n),
          group.length,
          {
            ...resampleOptions,
            tStar,
            classes: classes === null ? null : rows(classes, group, 1),
            lfIds: lfIds === undefined ? undefined : rows(lfIds, group, nl),
            sampleIndex: Int32Array.from(group),
          },
          counter,
        );
        group.forEach((i, r) => ids.set(out.subarray(r * n, (r + 1) * n), i * n));
      }
      info = { tStar: Math.min(...tStars), tStarPerSample: tStars, remasked, errors: [] };
    }
    const after = await score(ctx, ids, lfIds);
    const critic: BranchCritic = {
      before: before.scores,
      after: after.scores,
      distancesBefore: before.distances,
      distancesAfter: after.distances,
    };
    return { ids, critic, info };
  };

  const naiveLf = await naiveBranch('lf');
  const lf = await refine(lfCtx, 'lf', naiveLf.ids);
  const naiveHf = await naiveBranch('hf', lf.ids);
  const hf = ess.applyTo === 'lf+hf' ? await refine(hfCtx, 'hf', naiveHf.ids, lf.ids) : null;
  const finalHf = hf === null ? naiveHf.ids : hf.ids;
  return {
    method: 'ess',
    classes,
    lf: lf.ids,
    hf: finalHf,
    naive: { lf: naiveLf, hf: naiveHf },
    critic: { lf: lf.critic, hf: hf?.critic ?? null },
    ess: { lf: lf.info, hf: hf?.info ?? null },
    essConfig: ess,
    priorPasses: { lf: lfCount.passes, hf: hfCount.passes },
    series:
      options.decode === true
        ? await decodeSamples(
            stage1!,
            { lf: { ...naiveLf, ids: lf.ids }, hf: { ...naiveHf, ids: finalHf } },
            64,
            signal,
          )
        : null,
  };
}

function concat(parts: readonly BranchTrajectory[]): BranchTrajectory {
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
