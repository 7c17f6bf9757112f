/**
 * The per-dataset part of `npm run report`: train (or resume) the four pipeline stages under
 * `<workDir>/<dataset>/<profile>-seed<seed>/`, generate with naive and ESS from the same checkpoints and seed,
 * evaluate, and write `result-n<samples>.json` next to the checkpoints as soon as the dataset is done.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  type GenerateResult,
  type PipelineStage,
  type PreparedDataset,
  type StageContext,
  type StageResult,
  type TrainingProfile,
  PipelineCheckpointError,
  calibrateCriticStage,
  evaluateGenerated,
  loadPipelineModel,
  readPipelineCheckpoint,
  trainClassifierStage,
  trainPriorStage,
  trainStage1Stage,
} from '@maskgen/pipeline';

export const RESULT_VERSION = 1;

export interface ReportRunOptions {
  readonly profile: TrainingProfile;
  readonly seed: number;
  /** Series generated per method and conditioning. */
  readonly samples: number;
  readonly workDir: string;
  /** The command line recorded with the results. */
  readonly command: string;
  /** Train the CAS classifiers on the conditional samples (default true; two FCN trainings per dataset). */
  readonly cas?: boolean;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

export type Conditioning = 'unconditional' | 'conditional';
export type Method = 'naive' | 'ess';

export interface MethodResult {
  readonly fid: number;
  readonly inceptionScore: number;
  readonly inceptionScoreStd: number;
  readonly rocketFid: number;
  /** Mean raw LF critic code distance of the generated tokens. */
  readonly criticDistance: number;
  readonly cas?: number;
  /** Series compared in FID/IS (min(samples, N_test)). */
  readonly count: number;
  readonly tStar: number | null;
  readonly generateSeconds: number;
  readonly priorPasses: { readonly lf: number; readonly hf: number };
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
  readonly samples: number;
  readonly command: string;
  readonly finishedAt: string;
  readonly data: {
    readonly train: number;
    readonly test: number;
    readonly length: number;
    readonly classes: number;
  };
  readonly stages: Record<PipelineStage, StageRecord>;
  readonly results: Record<Conditioning, Record<Method, MethodResult>>;
}

export function runDir(workDir: string, dataset: string, profile: TrainingProfile, seed: number): string {
  // Dataset names are UCR names or synthetic:<generator>; keep them readable but path-safe.
  return path.join(workDir, dataset.replace(/[^A-Za-z0-9_-]/g, '_'), `${profile}-seed${seed}`);
}

export function resultPath(dir: string, samples: number): string {
  return path.join(dir, `result-n${samples}.json`);
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

type StageFn = (ctx: StageContext) => Promise<StageResult>;

/**
 * Loads `<dir>/<stage>.ckpt` when it is a valid checkpoint of this stage, dataset, profile and seed; otherwise
 * trains the stage and stores it (atomically, so a crash never leaves a half-written checkpoint behind).
 */
export async function ensureStage(
  dir: string,
  stage: PipelineStage,
  data: PreparedDataset,
  options: Pick<ReportRunOptions, 'profile' | 'seed' | 'signal' | 'log'>,
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
  let lastLogged = 0;
  const result = await train({
    signal: options.signal,
    onProgress: (p) => {
      const now = performance.now();
      if (now - lastLogged > 30_000 || p.step === p.totalSteps) {
        lastLogged = now;
        log(`${data.name}: ${p.stage} step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)}`);
      }
    },
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
  options: Pick<ReportRunOptions, 'profile' | 'seed' | 'signal' | 'log' | 'workDir'>,
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

/**
 * One dataset end to end. Returns the stored result when this dataset/profile/seed/samples was already finished.
 */
export async function runDataset(data: PreparedDataset, options: ReportRunOptions): Promise<DatasetResult> {
  const log = options.log ?? (() => undefined);
  const dir = runDir(options.workDir, data.name, options.profile, options.seed);
  const file = resultPath(dir, options.samples);
  const done = readResult(file);
  if (done !== undefined) {
    log(`${data.name}: result found in ${file}`);
    return done;
  }
  const { checkpoints, stages } = await ensurePipeline(data, options);
  const model = loadPipelineModel(checkpoints);
  try {
    const classifier = model.classifier!;
    const results = {} as Record<Conditioning, Record<Method, MethodResult>>;
    for (const conditioning of ['unconditional', 'conditional'] as const) {
      const classes = conditioning === 'conditional' ? conditionalClasses(data, options.samples) : null;
      const byMethod = {} as Record<Method, MethodResult>;
      const generated: Partial<Record<Method, GenerateResult>> = {};
      // ESS first: its critic "before" scores are exactly the naive samples of the same seed (the same s_T).
      for (const method of ['ess', 'naive'] as const) {
        log(`${data.name}: generating ${options.samples} ${conditioning} samples with ${method}`);
        generated[method] = await model.generate({
          method,
          count: options.samples,
          classes,
          seed: options.seed,
          signal: options.signal,
        });
      }
      const ess = generated.ess!;
      const essCritic = ess.meanCriticDistance!.after;
      for (const method of ['naive', 'ess'] as const) {
        const out = generated[method]!;
        const criticDistance = method === 'ess' ? essCritic : ess.meanCriticDistance!.before;
        log(`${data.name}: evaluating ${conditioning} ${method}`);
        const metrics = await evaluateGenerated({
          classifier,
          data,
          generated: out.scaled,
          labels: options.cas === false ? null : classes,
          seed: options.seed,
          criticDistance,
          signal: options.signal,
        });
        byMethod[method] = {
          fid: metrics.fid,
          inceptionScore: metrics.inceptionScore,
          inceptionScoreStd: metrics.inceptionScoreStd,
          rocketFid: metrics.rocketFid,
          criticDistance,
          ...(metrics.cas === undefined ? {} : { cas: metrics.cas }),
          count: metrics.count,
          tStar: out.tStar === null ? null : out.tStar[0],
          generateSeconds: out.seconds,
          priorPasses: out.priorPasses,
        };
        log(`${data.name}: ${conditioning} ${method} ${JSON.stringify(byMethod[method])}`);
      }
      results[conditioning] = byMethod;
    }
    const result: DatasetResult = {
      version: RESULT_VERSION,
      dataset: data.name,
      profile: options.profile,
      seed: options.seed,
      samples: options.samples,
      command: options.command,
      finishedAt: new Date().toISOString(),
      data: {
        train: data.train.values.length,
        test: data.test.values.length,
        length: data.length,
        classes: data.classNames.length,
      },
      stages,
      results,
    };
    mkdirSync(dir, { recursive: true });
    writeAtomic(file, `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    model.dispose();
  }
}
