/**
 * The per-dataset part of `npm run report`: train (or resume) the four pipeline stages under
 * `<workDir>/<dataset>/<profile>-seed<seed>/`, generate with naive and ESS from the same checkpoints and seed,
 * evaluate, and write `result-n<samples>.json` next to the checkpoints as soon as the dataset is done.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { type InferenceEngine, type PreparedFeaturizer } from '@maskgen/inference';
import {
  FCN_PROFILES,
  FcnClassifier,
  type FcnConfig,
  type FcnJudge,
  type FcnProfile,
  type FeatureMatrix,
  type FrechetResult,
  fcnJudge,
  frechetDistance,
  pairedBootstrapFidDifference,
  trainFcn,
} from '@maskgen/metrics';
import {
  type FidTerms,
  type GenerateResult,
  type GeneratedMetrics,
  type PipelineModel,
  type PipelineStage,
  type PreparedDataset,
  PIPELINE_PROFILES,
  type StageContext,
  type StageResult,
  type TrainingProfile,
  PipelineCheckpointError,
  calibrateCriticStage,
  evaluateGenerated,
  loadPipelineModel,
  readPipelineCheckpoint,
  stageConfigHash,
  trainClassifierStage,
  trainPriorStage,
  trainStage1Stage,
} from '@maskgen/pipeline';

/**
 * Version 3: naive vs ESS-R vs ESS-D, several sampling seeds pooled, FID terms, class histograms, bootstrap CIs,
 * judged by an FCN of a named profile trained for the report (version 2 was judged by the pipeline's own FCN).
 */
export const RESULT_VERSION = 3;

/** The report's judge by default: the paper-width FCN of ess.md §7 (issue 19 item 2). */
export const DEFAULT_JUDGE: FcnProfile = 'spec';

export interface ReportRunOptions {
  readonly profile: TrainingProfile;
  /** Training seed of the four stages. */
  readonly seed: number;
  /** Sampling seeds; every method and conditioning is sampled once per seed and the seeds are pooled. */
  readonly samplingSeeds: readonly number[];
  /** Series generated per method, conditioning and sampling seed. */
  readonly samples: number;
  readonly workDir: string;
  /** The command line recorded with the results. */
  readonly command: string;
  /** Runs sampling, the critic and the judge's inference passes (default tfjs). */
  readonly engine?: InferenceEngine;
  /** Train the CAS classifiers on the conditional samples (default true; one FCN training per method). */
  readonly cas?: boolean;
  /**
   * FCN profile of the judge of FID, IS and the class histograms (default DEFAULT_JUDGE). It is trained on the real
   * train split once per dataset and seed and kept in the work dir. CAS keeps the pipeline profile's FCN recipe: it
   * trains one classifier per method on the generated series, which at the paper's width would cost hours.
   */
  readonly judge?: FcnProfile;
  /** Replica threads for data-parallel training of stage 1 and the prior (default 1; results depend on it). */
  readonly threads?: number;
  /** Paired-bootstrap replicates of the FID differences (default BOOTSTRAP_REPLICATES). */
  readonly replicates?: number;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

export type Conditioning = 'unconditional' | 'conditional';
/** naive decoding, ESS with the released resampling (R, the default) and with the keep-visible variant (D). */
export const METHODS = ['naive', 'R', 'D'] as const;
export type Method = (typeof METHODS)[number];
export type EssMethod = Exclude<Method, 'naive'>;
export const ESS_METHODS: readonly EssMethod[] = ['R', 'D'];

export interface SeedFid extends FidTerms {
  readonly seed: number;
}

export interface MethodResult extends FidTerms {
  readonly inceptionScore: number;
  readonly inceptionScoreStd: number;
  readonly rocketFid: number;
  /** The judge's predicted-class shares of the generated series (class order of the dataset). */
  readonly classHistogram: readonly number[];
  /** Total-variation distance of `classHistogram` from the real test split's predicted shares. */
  readonly totalVariation: number;
  /** Mean raw LF self-critic code distance of the output tokens (naive: ESS's score of the same s_T). */
  readonly criticDistance: number;
  /** ESS only: share of samples whose mean LF critic distance is higher after ESS than before. */
  readonly worseShare: number | null;
  /** Conditional only (with CAS on): accuracy on the real test split of an FCN trained on the samples. */
  readonly cas?: number;
  /** Conditional only: FID per class (null where a side has < 2 series of it). */
  readonly perClassFid?: readonly { readonly className: string; readonly fid: number | null }[];
  /** Series compared: samples x sampling seeds. */
  readonly count: number;
  /** ESS only: t* of every 256-sample batch, seed after seed (ess.md §5.3). */
  readonly tStar: readonly number[] | null;
  /** Wall seconds of generation summed over the seeds. */
  readonly generateSeconds: number;
  readonly priorPasses: { readonly lf: number; readonly hf: number };
  /** FID of each sampling seed alone (the pooled FID above uses every seed's series). */
  readonly perSeed: readonly SeedFid[];
}

/** FID(naive) − FID(ESS) on the pooled, paired series: positive when ESS is closer to the real test split. */
export interface FidDifference {
  readonly difference: number;
  readonly low: number;
  readonly high: number;
  readonly level: number;
  readonly replicates: number;
  /** Pairs resampled: (sampling seed, index) rows shared by naive and ESS. */
  readonly pairs: number;
}

export interface ConditioningResult {
  readonly methods: Record<Method, MethodResult>;
  readonly naiveMinusEss: Record<EssMethod, FidDifference>;
}

export interface StageRecord {
  readonly metrics: Record<string, number>;
  /** True when the checkpoint was found in the work dir instead of trained by this run. */
  readonly reused: boolean;
}

export interface DatasetResult {
  readonly version: number;
  readonly dataset: string;
  readonly profile: TrainingProfile;
  readonly seed: number;
  readonly samplingSeeds: readonly number[];
  readonly samples: number;
  readonly command: string;
  /** Inference engine of sampling and the judge (e.g. 'ort' or 'tfjs'). */
  readonly engine: string;
  readonly finishedAt: string;
  /** Wall seconds of the whole dataset (training included unless reused). */
  readonly seconds: number;
  readonly data: {
    readonly train: number;
    readonly test: number;
    readonly length: number;
    readonly classes: number;
    readonly classNames: readonly string[];
  };
  /** The FCN that judged FID, IS and the class histograms. */
  readonly judge: FcnJudge;
  /** Its training on the real train split (test accuracy on the real test split, seconds). */
  readonly judgeTraining: StageRecord;
  /** The FCN recipe CAS trains on the generated series. */
  readonly casClassifier: FcnJudge;
  /** The real data under the same judge: train-vs-test FID (the floor), IS and predicted shares of the test split. */
  readonly reference: FidTerms & {
    readonly inceptionScore: number;
    readonly classHistogram: readonly number[];
  };
  readonly stages: Record<PipelineStage, StageRecord>;
  readonly results: Record<Conditioning, ConditioningResult>;
}

export function runDir(workDir: string, dataset: string, profile: TrainingProfile, seed: number): string {
  // Dataset names are UCR names or synthetic:<generator>; keep them readable but path-safe.
  return path.join(workDir, dataset.replace(/[^A-Za-z0-9_-]/g, '_'), `${profile}-seed${seed}`);
}

export function resultPath(
  dir: string,
  samples: number,
  samplingSeeds: readonly number[],
  judge: FcnProfile,
): string {
  return path.join(
    dir,
    `result-v${RESULT_VERSION}-judge-${judge}-n${samples}-seeds${samplingSeeds.join('-')}.json`,
  );
}

function writeAtomic(file: string, bytes: Uint8Array | string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}

/** Per-class counts proportional to the training split, summing to `total` (largest remainders). */
export function proportionalCounts(trainLabels: Int32Array, classes: number, total: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of trainLabels) counts[label]++;
  const exact = counts.map((c) => (c / trainLabels.length) * total);
  const out = exact.map(Math.floor);
  const order = exact
    .map((x, k) => ({ k, frac: x - Math.floor(x) }))
    .sort((a, b) => b.frac - a.frac || a.k - b.k);
  for (let i = 0; out.reduce((s, v) => s + v, 0) < total; i++) out[order[i % classes].k]++;
  return out;
}

/** Class of every conditional sample: the proportional counts, interleaved class by class. */
export function conditionalClasses(data: PreparedDataset, total: number): Int32Array {
  const counts = proportionalCounts(data.train.labels, data.classNames.length, total);
  const out: number[] = [];
  const left = counts.slice();
  while (out.length < total) {
    for (let k = 0; k < left.length; k++) {
      if (left[k] > 0) {
        out.push(k);
        left[k]--;
      }
    }
  }
  return Int32Array.from(out);
}

/** A training's progress lines: at most one per 30 s, and always the last step. */
function progressLog(
  log: (line: string) => void,
  dataset: string,
): (stage: string, step: number, totalSteps: number, loss: number) => void {
  let lastLogged = 0;
  return (stage, step, totalSteps, loss) => {
    const now = performance.now();
    if (now - lastLogged > 30_000 || step === totalSteps) {
      lastLogged = now;
      log(`${dataset}: ${stage} step ${step}/${totalSteps} loss ${loss.toFixed(4)}`);
    }
  };
}

type StageFn = (ctx: StageContext) => Promise<StageResult>;

/**
 * Loads `<dir>/<stage>.ckpt` when it is a valid checkpoint of this stage, dataset, profile and seed; otherwise
 * trains the stage and stores it (atomically, so a crash never leaves a half-written checkpoint behind).
 */
export async function ensureStage(
  dir: string,
  stage: PipelineStage,
  data: PreparedDataset,
  options: Pick<ReportRunOptions, 'profile' | 'seed' | 'signal' | 'log' | 'threads'>,
  train: StageFn,
): Promise<{ checkpoint: Uint8Array; record: StageRecord }> {
  const file = path.join(dir, `${stage}.ckpt`);
  const timesFile = path.join(dir, `${stage}.json`);
  const log = options.log ?? (() => undefined);
  if (existsSync(file)) {
    const bytes = readFileSync(file);
    try {
      const { info } = readPipelineCheckpoint(bytes, stage);
      if (info.dataset !== data.name || info.profile !== options.profile || info.seed !== options.seed) {
        throw new PipelineCheckpointError(
          `belongs to ${info.dataset}/${info.profile}/seed ${info.seed}, not ${data.name}/${options.profile}/seed ${options.seed}`,
        );
      }
      if (info.config !== stageConfigHash(stage, options.profile)) {
        throw new PipelineCheckpointError(
          `was trained with other ${options.profile}-profile settings than today's`,
        );
      }
      const extra = existsSync(timesFile)
        ? (JSON.parse(readFileSync(timesFile, 'utf8')) as Record<string, number>)
        : {};
      log(`${data.name}: ${stage} loaded from ${file}`);
      return { checkpoint: bytes, record: { metrics: { ...info.metrics, ...extra }, reused: true } };
    } catch (error) {
      if (!(error instanceof PipelineCheckpointError)) throw error;
      log(`${data.name}: ${stage} checkpoint ${file} is not usable (${error.message}); retraining`);
    }
  }
  log(`${data.name}: training ${stage} (${options.profile}, seed ${options.seed})`);
  const progress = progressLog(log, data.name);
  const result = await train({
    signal: options.signal,
    threads: options.threads,
    onProgress: (p) => progress(p.stage, p.step, p.totalSteps, p.loss),
  });
  mkdirSync(dir, { recursive: true });
  writeAtomic(timesFile, `${JSON.stringify({ seconds: result.metrics.seconds })}\n`);
  writeAtomic(file, result.checkpoint);
  log(`${data.name}: ${stage} done ${JSON.stringify(result.metrics)}`);
  return { checkpoint: result.checkpoint, record: { metrics: result.metrics, reused: false } };
}

/** All four stages, each reused when its checkpoint is present and valid. */
export async function ensurePipeline(
  data: PreparedDataset,
  options: Pick<ReportRunOptions, 'profile' | 'seed' | 'signal' | 'log' | 'workDir' | 'threads'>,
): Promise<{
  checkpoints: { stage1: Uint8Array; prior: Uint8Array; critic: Uint8Array; classifier: Uint8Array };
  stages: Record<PipelineStage, StageRecord>;
}> {
  const dir = runDir(options.workDir, data.name, options.profile, options.seed);
  const opts = { profile: options.profile, seed: options.seed };
  const classifier = await ensureStage(dir, 'classifier', data, options, (ctx) =>
    trainClassifierStage(data, {}, opts, ctx),
  );
  const stage1 = await ensureStage(dir, 'stage1', data, options, (ctx) =>
    trainStage1Stage(data, {}, opts, ctx),
  );
  const prior = await ensureStage(dir, 'prior', data, options, (ctx) =>
    trainPriorStage(data, { stage1: stage1.checkpoint }, opts, ctx),
  );
  const critic = await ensureStage(dir, 'critic', data, options, (ctx) =>
    calibrateCriticStage(data, { stage1: stage1.checkpoint, prior: prior.checkpoint }, opts, ctx),
  );
  return {
    checkpoints: {
      stage1: stage1.checkpoint,
      prior: prior.checkpoint,
      critic: critic.checkpoint,
      classifier: classifier.checkpoint,
    },
    stages: {
      stage1: stage1.record,
      prior: prior.record,
      critic: critic.record,
      classifier: classifier.record,
    },
  };
}

const sameConfig = (a: FcnConfig, b: FcnConfig): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The report's judge: an FCN of profile `judge` trained on the real train split with the training seed, stored as
 * `<dir>/judge-<profile>.fcn` (atomically) and loaded back by later runs when its recipe, length and classes still
 * match. The caller disposes it.
 */
export async function ensureJudge(
  data: PreparedDataset,
  judge: FcnProfile,
  options: Pick<ReportRunOptions, 'profile' | 'seed' | 'signal' | 'log' | 'workDir'>,
): Promise<{ model: FcnClassifier; record: StageRecord }> {
  const dir = runDir(options.workDir, data.name, options.profile, options.seed);
  const file = path.join(dir, `judge-${judge}.fcn`);
  const metricsFile = path.join(dir, `judge-${judge}.json`);
  const config = FCN_PROFILES[judge];
  const classes = data.classNames.length;
  const log = options.log ?? (() => undefined);
  if (existsSync(file) && existsSync(metricsFile)) {
    let model: FcnClassifier | undefined;
    try {
      model = FcnClassifier.deserialize(readFileSync(file));
      const metrics = JSON.parse(readFileSync(metricsFile, 'utf8')) as Record<string, number>;
      if (
        sameConfig(model.config, config) &&
        model.spec.length === data.outputLength &&
        model.spec.classes === classes &&
        metrics.seed === options.seed
      ) {
        log(`${data.name}: judge (${judge} FCN) loaded from ${file}`);
        return { model, record: { metrics, reused: true } };
      }
      log(`${data.name}: judge ${file} was trained with other settings; retraining`);
    } catch (error) {
      log(`${data.name}: judge ${file} is not usable (${(error as Error).message}); retraining`);
    }
    model?.dispose();
  }
  log(`${data.name}: training the judge (${judge} FCN, seed ${options.seed})`);
  const started = performance.now();
  const progress = progressLog(log, data.name);
  const { model, training, testAccuracy } = await trainFcn(data.evalTrain, {
    config,
    seed: `${options.seed}-judge`,
    classes,
    test: data.evalTest,
    signal: options.signal,
    progressEvery: 10,
    onProgress: (p) => progress('judge', p.step, p.totalSteps, p.metrics.loss ?? Number.NaN),
  });
  if (training.stopReason !== 'completed') {
    model.dispose();
    options.signal?.throwIfAborted();
    throw new Error(`judge training stopped early (${training.stopReason})`);
  }
  const metrics = {
    seed: options.seed,
    steps: training.stepsDone,
    loss: training.lastMetrics?.loss ?? Number.NaN,
    testAccuracy: testAccuracy ?? Number.NaN,
    seconds: (performance.now() - started) / 1000,
  };
  mkdirSync(dir, { recursive: true });
  writeAtomic(file, model.serialize({ dataset: data.name, seed: options.seed }));
  writeAtomic(metricsFile, `${JSON.stringify(metrics)}\n`);
  log(`${data.name}: judge done ${JSON.stringify(metrics)}`);
  return { model, record: { metrics, reused: false } };
}

/** Reads a finished dataset result, or undefined when absent or from another format version. */
export function readResult(file: string): DatasetResult | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as DatasetResult;
    return parsed.version === RESULT_VERSION ? parsed : undefined;
  } catch {
    return undefined;
  }
}

interface MethodSamples {
  /** Scaled series of every seed, seed after seed. */
  readonly scaled: Float32Array[];
  readonly runs: GenerateResult[];
}

/** Naive, ESS-R and ESS-D for every sampling seed; ESS refines exactly the naive LF tokens of the same seed. */
async function sampleAllMethods(
  model: PipelineModel,
  classes: Int32Array | null,
  options: ReportRunOptions,
  label: string,
): Promise<Record<Method, MethodSamples>> {
  const log = options.log ?? (() => undefined);
  const out = {} as Record<Method, MethodSamples>;
  for (const method of METHODS) {
    const runs: GenerateResult[] = [];
    for (const seed of options.samplingSeeds) {
      log(`${label}: ${options.samples} samples with ${method}, sampling seed ${seed}`);
      runs.push(
        await model.generate({
          method: method === 'naive' ? 'naive' : 'ess',
          ...(method === 'naive' ? {} : { ess: { variant: method } }),
          count: options.samples,
          classes,
          seed,
          signal: options.signal,
        }),
      );
    }
    out[method] = { scaled: runs.flatMap((r) => r.scaled), runs };
  }
  return out;
}

function meanOf(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** Share of samples whose mean LF critic distance rose under ESS. */
function worseShare(runs: readonly GenerateResult[]): number {
  let worse = 0;
  let total = 0;
  for (const run of runs) {
    for (const c of run.critic ?? []) {
      total++;
      const { distancesAfter, distancesBefore } = c.scores.lf;
      if (distancesAfter !== null && meanOf(distancesAfter) > meanOf(distancesBefore)) worse++;
    }
  }
  return total === 0 ? Number.NaN : worse / total;
}

/** t* of every 256-sample batch (shared within a batch unless per-sample t* is on), seed after seed. */
function batchTStars(runs: readonly GenerateResult[]): number[] {
  return runs.flatMap((r) =>
    r.tStar === null
      ? []
      : Array.from({ length: Math.ceil(r.tStar.length / 256) }, (_, k) => r.tStar![k * 256]),
  );
}

/** Counts to shares summing to 1. */
function toShares(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => c / total);
}

function rowsOf(features: FeatureMatrix, start: number, count: number): FeatureMatrix {
  return {
    rows: count,
    dim: features.dim,
    data: features.data.subarray(start * features.dim, (start + count) * features.dim),
  };
}

function fidTerms(r: FrechetResult): FidTerms {
  return { fid: r.distance, meanTerm: r.meanTerm, covarianceTerm: r.covarianceTerm };
}

/** Every method of one conditioning, judged on the pooled seeds, with the paired-bootstrap CI of naive − ESS. */
/** The FCN that judges FID, IS and the class histograms, with its inference pass, and the CAS recipe. */
interface Judging {
  readonly classifier: FcnClassifier;
  readonly featurizer: PreparedFeaturizer | undefined;
  readonly casConfig: FcnConfig;
}

async function evaluateConditioning(
  model: PipelineModel,
  judging: Judging,
  data: PreparedDataset,
  conditioning: Conditioning,
  options: ReportRunOptions,
): Promise<{ result: ConditioningResult; metrics: GeneratedMetrics }> {
  const log = options.log ?? (() => undefined);
  const label = `${data.name} ${conditioning}`;
  const seedClasses = conditioning === 'conditional' ? conditionalClasses(data, options.samples) : null;
  const samples = await sampleAllMethods(model, seedClasses, options, label);
  const pooledClasses =
    seedClasses === null
      ? null
      : Int32Array.from(options.samplingSeeds.flatMap(() => Array.from(seedClasses)));
  const naiveCritic = samples.R.runs.map((r) => r.meanCriticDistance!.before);
  const evaluated = {} as Record<Method, GeneratedMetrics>;
  const methods = {} as Record<Method, MethodResult>;
  const progress = progressLog(log, data.name);
  for (const method of METHODS) {
    log(`${label}: evaluating ${method}`);
    const { runs, scaled } = samples[method];
    const metrics = await evaluateGenerated({
      onCasProgress: (p) =>
        progress(`${conditioning} ${method} CAS`, p.step, p.totalSteps, p.metrics.loss ?? Number.NaN),
      classifier: judging.classifier,
      featurizer: judging.featurizer,
      casConfig: judging.casConfig,
      data,
      generated: scaled,
      labels: options.cas === false ? null : pooledClasses,
      seed: options.seed,
      signal: options.signal,
    });
    evaluated[method] = metrics;
    const n = options.samples;
    methods[method] = {
      ...metrics.fidTerms,
      inceptionScore: metrics.inceptionScore,
      inceptionScoreStd: metrics.inceptionScoreStd,
      rocketFid: metrics.rocketFid,
      classHistogram: toShares(metrics.classHistograms.generated),
      totalVariation: metrics.classHistograms.totalVariation,
      criticDistance: meanOf(method === 'naive' ? naiveCritic : runs.map((r) => r.meanCriticDistance!.after)),
      worseShare: method === 'naive' ? null : worseShare(runs),
      ...(metrics.cas === undefined ? {} : { cas: metrics.cas }),
      ...(metrics.perClassFid === undefined
        ? {}
        : { perClassFid: metrics.perClassFid.map((c) => ({ className: c.className, fid: c.fid })) }),
      count: metrics.count,
      tStar: method === 'naive' ? null : batchTStars(runs),
      generateSeconds: runs.reduce((s, r) => s + r.seconds, 0),
      priorPasses: {
        lf: runs.reduce((s, r) => s + r.priorPasses.lf, 0),
        hf: runs.reduce((s, r) => s + r.priorPasses.hf, 0),
      },
      perSeed: options.samplingSeeds.map((seed, k) => ({
        seed,
        ...fidTerms(frechetDistance(metrics.features.real, rowsOf(metrics.features.generated, k * n, n))),
      })),
    };
    log(
      `${label}: ${method} FID ${metrics.fid.toFixed(3)} TV ${metrics.classHistograms.totalVariation.toFixed(3)}`,
    );
  }
  const naiveMinusEss = {} as Record<EssMethod, FidDifference>;
  for (const method of ESS_METHODS) {
    const b = await pairedBootstrapFidDifference(
      evaluated.naive.features.real,
      evaluated.naive.features.generated,
      evaluated[method].features.generated,
      {
        replicates: options.replicates,
        seed: `${data.name}-${conditioning}-${method}`,
        signal: options.signal,
      },
    );
    naiveMinusEss[method] = {
      difference: b.difference,
      low: b.low,
      high: b.high,
      level: b.level,
      replicates: b.replicates,
      pairs: b.samples,
    };
  }
  return { result: { methods, naiveMinusEss }, metrics: evaluated.naive };
}

/**
 * One dataset end to end. Returns the stored result when this dataset/profile/seed/samples/sampling seeds was
 * already finished.
 */
export async function runDataset(data: PreparedDataset, options: ReportRunOptions): Promise<DatasetResult> {
  const log = options.log ?? (() => undefined);
  const dir = runDir(options.workDir, data.name, options.profile, options.seed);
  const judge = options.judge ?? DEFAULT_JUDGE;
  const file = resultPath(dir, options.samples, options.samplingSeeds, judge);
  const done = readResult(file);
  if (done !== undefined) {
    log(`${data.name}: result found in ${file}`);
    return done;
  }
  const started = performance.now();
  const { checkpoints, stages } = await ensurePipeline(data, options);
  const judged = await ensureJudge(data, judge, options);
  let model: PipelineModel | undefined;
  let featurizer: PreparedFeaturizer | undefined;
  try {
    model = loadPipelineModel(checkpoints, options.engine === undefined ? {} : { engine: options.engine });
    featurizer = await options.engine?.prepareClassifier(judged.model);
    const judging: Judging = {
      classifier: judged.model,
      featurizer,
      casConfig: PIPELINE_PROFILES[options.profile].classifier,
    };
    const unconditional = await evaluateConditioning(model, judging, data, 'unconditional', options);
    const conditional = await evaluateConditioning(model, judging, data, 'conditional', options);
    const m = unconditional.metrics;
    const result: DatasetResult = {
      version: RESULT_VERSION,
      dataset: data.name,
      profile: options.profile,
      seed: options.seed,
      samplingSeeds: [...options.samplingSeeds],
      samples: options.samples,
      command: options.command,
      engine: options.engine?.info.engine ?? 'tfjs',
      finishedAt: new Date().toISOString(),
      seconds: (performance.now() - started) / 1000,
      data: {
        train: data.train.values.length,
        test: data.test.values.length,
        length: data.length,
        classes: data.classNames.length,
        classNames: [...data.classNames],
      },
      judge: m.judge,
      judgeTraining: judged.record,
      casClassifier: fcnJudge(judging.casConfig),
      reference: {
        fid: m.referenceFid.fid,
        meanTerm: m.referenceFid.meanTerm,
        covarianceTerm: m.referenceFid.covarianceTerm,
        inceptionScore: m.realInceptionScore,
        classHistogram: toShares(m.classHistograms.real),
      },
      stages,
      results: { unconditional: unconditional.result, conditional: conditional.result },
    };
    mkdirSync(dir, { recursive: true });
    writeAtomic(file, `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    await featurizer?.dispose();
    model?.dispose();
    judged.model.dispose();
  }
}
