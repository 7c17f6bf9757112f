import type * as tf from '@tensorflow/tfjs-core';
import { type SeededRng } from '@maskgen/tensor';
import { PRIOR_PAPER, type SamplingConfig, checkSamplingConfig } from '../prior/config';
import { type Stage1ForPrior } from '../prior/stage1';
import { type ClassInput } from '../sampling/helpers';
import { type DecodedSeries, decodeSamples } from '../sampling/decode';
import {
  type BranchTrajectory,
  concatTrajectories,
  decodeBranchNaive,
  naiveChunkSize,
  naiveDecode,
} from '../sampling/naive';
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
  /**
   * Also score naive samples' LF tokens with the critic (N_lf prior passes per sample, counted in priorPasses); ESS
   * always scores the branches it refines.
   */
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
  /** Per-branch critic scores; null for naive unless scoreNaive (then LF only). Only branches ESS refines. */
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

/** Branch names of the token grids. */
type Branch = 'lf' | 'hf';

/** What one generateSamples call works with: the settings (defaults applied), the critic contexts and pass counts. */
interface SamplerCall {
  readonly prior: ReturnType<typeof asPriorRunner>;
  readonly options: SamplerOptions;
  readonly count: number;
  readonly classes: ClassInput;
  readonly rng: SeededRng;
  readonly signal?: AbortSignal;
  readonly config: SamplingConfig;
  readonly ess: EssConfig;
  /** Samples per naive chunk. */
  readonly chunk: number;
  readonly critic: Record<Branch, CriticContext>;
  readonly passes: Record<Branch, PassCounter>;
}

/** A branch refined by ESS: its final ids, its critic view and what reverse sampling did. */
interface RefinedBranch {
  readonly ids: Int32Array;
  readonly critic: BranchCritic;
  readonly info: BranchEss;
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
  const call = prepareCall(source, codebooks, options, stage1);
  return options.method === 'naive' ? sampleNaive(call, stage1) : sampleEss(call, stage1);
}

/** Settings with defaults applied and checked before any prior pass, and the critic contexts of both branches. */
function prepareCall(
  source: PriorSource,
  codebooks: Codebooks,
  options: SamplerOptions,
  stage1?: Stage1ForPrior,
): SamplerCall {
  const prior = asPriorRunner(source);
  const { count, classes, rng, signal } = options;
  const config: SamplingConfig = { ...PRIOR_PAPER.sampling, ...options.sampling };
  checkSamplingConfig(config);
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
  return {
    prior,
    options,
    count,
    classes,
    rng,
    signal,
    config,
    ess,
    chunk,
    critic: {
      lf: context(prior.lf, codebooks.lf, rows, ess.criticTemperature, signal),
      hf: context(prior.hf, codebooks.hf, rows, ess.criticTemperature, signal),
    },
    passes: { lf: { passes: 0 }, hf: { passes: 0 } },
  };
}

/** Prior passes of naive decoding `b` samples of a branch (a guided pass counts twice). */
function naivePasses(call: SamplerCall, b: number, guided: boolean): number {
  return call.config.steps * b * (guided && call.classes !== null ? 2 : 1);
}

/** The self-critic's scores of a branch's ids (HF conditioned on the LF ids). */
function score(call: SamplerCall, branch: Branch, ids: Int32Array, lfIds?: Int32Array) {
  return selfTokenCritic(call.critic[branch], ids, call.count, call.classes, lfIds, call.passes[branch]);
}

function decoded(
  call: SamplerCall,
  stage1: Stage1ForPrior | undefined,
  trajectories: Parameters<typeof decodeSamples>[1],
) {
  return call.options.decode === true ? decodeSamples(stage1!, trajectories, 64, call.signal) : null;
}

/** Naive decoding (naiveDecode), critic-scored when the caller asks (scoreNaive). */
async function sampleNaive(call: SamplerCall, stage1?: Stage1ForPrior): Promise<SamplerResult> {
  const { count, classes, config } = call;
  const naive = await naiveDecode(call.prior, {
    count,
    classes,
    config,
    rng: call.rng,
    memoryBudgetBytes: call.options.memoryBudgetBytes,
    signal: call.signal,
  });
  call.passes.lf.passes += naivePasses(call, count, true);
  call.passes.hf.passes += naivePasses(call, count, config.guidanceScale > 1);
  let critic: SamplerResult['critic'] = null;
  if (call.options.scoreNaive === true) {
    // The one naive critic pass of a run: the pipeline and the worker read these scores.
    const lf = await score(call, 'lf', naive.lf.ids);
    critic = {
      lf: {
        before: lf.scores,
        after: lf.scores,
        distancesBefore: lf.distances,
        distancesAfter: lf.distances,
      },
      hf: null,
    };
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
    priorPasses: { lf: call.passes.lf.passes, hf: call.passes.hf.passes },
    series: await decoded(call, stage1, naive),
  };
}

/** ESS: naive LF, refined; naive HF on the final LF ids, refined too with applyTo 'lf+hf'. */
async function sampleEss(call: SamplerCall, stage1?: Stage1ForPrior): Promise<SamplerResult> {
  const naiveLf = await naiveBranch(call, 'lf');
  const lf = await refineBranch(call, 'lf', naiveLf.ids);
  const naiveHf = await naiveBranch(call, 'hf', lf.ids);
  const hf = call.ess.applyTo === 'lf+hf' ? await refineBranch(call, 'hf', naiveHf.ids, lf.ids) : null;
  const finalHf = hf === null ? naiveHf.ids : hf.ids;
  return {
    method: 'ess',
    classes: call.classes,
    lf: lf.ids,
    hf: finalHf,
    naive: { lf: naiveLf, hf: naiveHf },
    critic: { lf: lf.critic, hf: hf?.critic ?? null },
    ess: { lf: lf.info, hf: hf?.info ?? null },
    essConfig: call.ess,
    priorPasses: { lf: call.passes.lf.passes, hf: call.passes.hf.passes },
    series: await decoded(call, stage1, {
      lf: { ...naiveLf, ids: lf.ids },
      hf: { ...naiveHf, ids: finalHf },
    }),
  };
}

/** Naive branch decoding in chunks, with exactly naiveDecode's streams. */
async function naiveBranch(call: SamplerCall, branch: Branch, lfIds?: Int32Array): Promise<BranchTrajectory> {
  const { count, classes, config, chunk } = call;
  const parts: BranchTrajectory[] = [];
  const guide = branch === 'lf' || config.guidanceScale > 1;
  const nl = call.prior.shapes.lfTokens;
  for (let start = 0; start < count; start += chunk) {
    const b = Math.min(chunk, count - start);
    parts.push(
      await decodeBranchNaive(call.prior[branch], {
        batch: b,
        classes: classes === null ? null : classes.slice(start, start + b),
        lfIds: lfIds?.slice(start * nl, (start + b) * nl),
        config,
        guide,
        rng: call.rng.fork(branch),
        firstIndex: start,
        signal: call.signal,
      }),
    );
  }
  call.passes[branch].passes += naivePasses(call, count, guide);
  return concatTrajectories(parts);
}

/** Critical reverse sampling and resampling settings of a branch (ess.md §5.3, §5.4). */
function essStepOptions(call: SamplerCall, branch: Branch) {
  const { config, ess } = call;
  return {
    reverse: {
      steps: config.steps,
      windowRate: ess.windowRate,
      threshold: ess.threshold,
      stopAt: ess.fixedTStar,
    },
    resample: {
      config,
      guide: branch === 'lf' || config.guidanceScale > 1,
      keepVisible: keepsVisible(ess.variant),
      skipNoOpStep: ess.skipNoOpStep,
      rng: call.rng.fork(`ess-${branch}`),
      firstIndex: 0,
      drawRows: call.chunk,
    },
  };
}

/** ESS on one branch: critic scores of s_T, reverse sampling to t*, resampling, critic scores of the result. */
async function refineBranch(
  call: SamplerCall,
  branch: Branch,
  sT: Int32Array,
  lfIds?: Int32Array,
): Promise<RefinedBranch> {
  const before = await score(call, branch, sT, lfIds);
  const input: RefineInput = {
    ctx: call.critic[branch],
    counter: call.passes[branch],
    steps: essStepOptions(call, branch),
    sT,
    scores: before.scores,
    lfIds,
  };
  const { ids, info } = call.ess.perSampleTStar
    ? await refinePerSample(call, input)
    : await refineShared(call, input);
  const after = await score(call, branch, ids, lfIds);
  const critic: BranchCritic = {
    before: before.scores,
    after: after.scores,
    distancesBefore: before.distances,
    distancesAfter: after.distances,
  };
  return { ids, critic, info };
}

/** What reverse sampling and resampling of one branch start from: s_T and its critic scores. */
interface RefineInput {
  readonly ctx: CriticContext;
  readonly counter: PassCounter;
  readonly steps: ReturnType<typeof essStepOptions>;
  readonly sT: Int32Array;
  readonly scores: Float64Array;
  readonly lfIds?: Int32Array;
}

/** One t* for the whole request (the released algorithm). */
async function refineShared(
  call: SamplerCall,
  { ctx, counter, steps, sT, scores, lfIds }: RefineInput,
): Promise<{ ids: Int32Array; info: BranchEss }> {
  const { count, classes } = call;
  const reverse = await criticalReverse(
    ctx,
    sT,
    count,
    scores,
    { ...steps.reverse, classes, lfIds },
    counter,
  );
  const ids = await criticalResample(
    ctx,
    reverse.ids,
    count,
    { ...steps.resample, tStar: reverse.tStar, classes, lfIds },
    counter,
  );
  return {
    ids,
    info: {
      tStar: reverse.tStar,
      tStarPerSample: new Int32Array(count).fill(reverse.tStar),
      remasked: reverse.remasked,
      errors: reverse.errors,
    },
  };
}

/** Rows `indices` of a [rows, width] array. */
function pickRows<A extends Int32Array | Float64Array>(a: A, indices: readonly number[], width: number): A {
  const out = new (a.constructor as new (len: number) => A)(indices.length * width);
  indices.forEach((i, r) => out.set(a.subarray(i * width, (i + 1) * width), r * width));
  return out;
}

/** Reverse sampling on each sample alone gives its own err and t*; then each group of equal t* is resampled. */
async function refinePerSample(
  call: SamplerCall,
  { ctx, counter, steps, sT, scores, lfIds }: RefineInput,
): Promise<{ ids: Int32Array; info: BranchEss }> {
  const { count, classes } = call;
  const n = ctx.prior.shape.tokens;
  const nl = call.prior.shapes.lfTokens;
  const sStar = new Int32Array(count * n);
  const remasked = new Uint8Array(count * n);
  const tStars = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const reverse = await criticalReverse(
      ctx,
      sT.subarray(i * n, (i + 1) * n),
      1,
      scores.subarray(i * n, (i + 1) * n),
      {
        ...steps.reverse,
        classes: classes === null ? null : classes.slice(i, i + 1),
        lfIds: lfIds?.slice(i * nl, (i + 1) * nl),
      },
      counter,
    );
    sStar.set(reverse.ids, i * n);
    remasked.set(reverse.remasked, i * n);
    tStars[i] = reverse.tStar;
  }
  const ids = new Int32Array(count * n);
  for (const tStar of [...new Set(tStars)].sort((a, b) => a - b)) {
    const group = Array.from(tStars.keys()).filter((i) => tStars[i] === tStar);
    const out = await criticalResample(
      ctx,
      pickRows(sStar, group, n),
      group.length,
      {
        ...steps.resample,
        tStar,
        classes: classes === null ? null : pickRows(classes, group, 1),
        lfIds: lfIds === undefined ? undefined : pickRows(lfIds, group, nl),
        sampleIndex: Int32Array.from(group),
      },
      counter,
    );
    group.forEach((i, r) => ids.set(out.subarray(r * n, (r + 1) * n), i * n));
  }
  return { ids, info: { tStar: Math.min(...tStars), tStarPerSample: tStars, remasked, errors: [] } };
}
