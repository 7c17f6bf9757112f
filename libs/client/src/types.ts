/**
 * Response shapes of the maskgen HTTP API as its clients (CLI, dashboard) read them. Dates arrive as
 * ISO strings. Fields of endpoints that are still landing are optional where the contract allows it.
 */

import type { RunProvenance } from '../../contracts/src/provenance';

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
export const FINISHED_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface SyntheticSampler {
  kind: 'synthetic';
  generator: 'cbf' | 'synthetic-control';
  length: number;
}

export interface ModelSampler {
  kind: 'model';
  modelId: string;
  method: 'naive' | 'ess';
  classes?: 'unconditional' | 'balanced';
  ess?: EssParams;
}

/** ESS parameters of a request; omitted ones take the sampler's defaults (variant 'R'). */
export interface EssParams {
  windowRate?: number;
  threshold?: number;
  applyTo?: 'lf' | 'lf+hf';
  /** 'R': the released algorithm (every token redrawn each step), the default; 'D': keep-visible. */
  variant?: 'R' | 'D';
  /** Superseded by variant (true = 'D'). */
  keepVisible?: boolean;
}

/** The ESS settings a sampler call ran with, defaults applied. */
export interface EssSettings {
  variant: 'R' | 'D';
  windowRate: number;
  threshold: number;
  applyTo: 'lf' | 'lf+hf';
  criticTemperature: number;
  skipNoOpStep: boolean;
  perSampleTStar: boolean;
  fixedTStar: number | null;
}

/** What an ESS run recorded: resolved settings, t* per sampler call and over samples, critic diagnostics. */
export interface RunEss {
  /** Null until the first sampler call finished. */
  config: EssSettings | null;
  /** False if sampler calls recorded different settings. */
  consistent: boolean;
  batches: {
    firstSample: number;
    shardIndex: number;
    sampleCount: number;
    tStar: number;
    criticWorse: number;
  }[];
  /** Samples per LF t*. */
  tStarHistogram: Record<string, number>;
  samples: number;
  /** Samples whose mean LF critic code distance rose under ESS. */
  criticWorse: number;
}

export type Sampler = SyntheticSampler | ModelSampler;

export interface CreateRunRequest {
  sampler: Sampler;
  numSamples: number;
  shardSize?: number;
  seed?: number;
  priority?: number;
}

export interface Run {
  id: string;
  kind: string;
  status: RunStatus;
  params: { sampler?: Partial<SyntheticSampler> & Partial<ModelSampler>; [key: string]: unknown };
  seed: number;
  /** 0..1 */
  progress: number;
  error: string | null;
  shards: {
    total: number;
    queued: number;
    running: number;
    succeeded: number;
    failed: number;
    cancelled: number;
  };
  samplesStored: number;
  /** Model runs: what produced the samples (inference engine per worker, model hash, code version). */
  provenance: RunProvenance | null;
  /** ESS runs: resolved settings and t* (null for other runs). */
  ess?: RunEss | null;
  timings: {
    createdAt: string;
    startedAt: string | null;
    finishedAt: string | null;
    durationMs: number | null;
    /** Since the run started, on the server's clock (its duration once finished). */
    elapsedMs: number | null;
    /** While running: time left at the rate so far; null otherwise. */
    etaMs: number | null;
  };
}

export interface Metric {
  name: string;
  value: number;
  details?: Record<string, unknown>;
  createdAt?: string;
}

export interface Sample {
  index: number;
  shard: number;
  classIndex: number | null;
  values: number[];
  /**
   * Mean and max LF critic code distance of the final tokens (lower looks more real); ESS samples add the mean
   * before ESS and whether ESS made the sample worse (mean after > before). Null for synthetic samples.
   */
  critic: {
    mean: number;
    max: number;
    /** Null for naive samples (and ESS samples stored before it was recorded). */
    meanBeforeEss?: number | null;
    worseUnderEss?: boolean | null;
  } | null;
}

export interface SamplePage {
  runId: string;
  total: number;
  offset: number;
  limit: number;
  items: Sample[];
}

export interface TokenGridScores {
  rows: number;
  columns: number;
  before: number[];
  after: number[] | null;
  /** A 0/1 mask over the grid: 1 where ESS re-masked and resampled the token. */
  remasked: number[] | null;
}

/** Per band; a band is null when the sample has no stored scores for it (hf: unless ESS refined HF). */
export interface CriticScores {
  lf: TokenGridScores | null;
  hf: TokenGridScores | null;
}

export interface Dataset {
  id: string;
  name: string;
  sourceKind: 'upload' | 'synthetic' | 'builtin';
  sourceDetails: Record<string, unknown>;
  seriesLength: number;
  /** Original label names; a series' class index points into this list. */
  classNames: string[];
  trainCount: number;
  testCount: number;
  createdAt: string;
}

export interface DatasetSeries {
  index: number;
  classIndex: number;
  values: number[];
}

export interface DatasetSeriesPage {
  datasetId: string;
  split: 'train' | 'test';
  offset: number;
  limit: number;
  total: number;
  items: DatasetSeries[];
}

export type ModelStatus = 'pending' | 'training' | 'ready' | 'failed' | 'cancelled';
export const FINISHED_MODEL_STATUSES: readonly ModelStatus[] = ['ready', 'failed', 'cancelled'];
export const TRAINING_STAGES = ['stage1', 'prior', 'critic', 'classifier'] as const;
export type TrainingStage = (typeof TRAINING_STAGES)[number];

export interface StageProgress {
  status: string;
  step: number;
  totalSteps: number;
  loss: number | null;
  /** Set when this run of the stage resumed an interrupted one from its checkpoint at this step. */
  resumedFromStep?: number;
  history: { step: number; loss: number }[];
}

export interface ModelCheckpoint {
  stage: TrainingStage;
  sha256: string;
  byteSize: number;
  createdAt: string;
}

export interface Model {
  id: string;
  name: string;
  datasetId: string;
  status: ModelStatus;
  profile: string;
  seed: number;
  /** The current stage (null before the first starts) and every stage's own state. */
  progress: {
    stage: TrainingStage | null;
    step: number;
    totalSteps: number;
    loss: number | null;
    stages: Record<TrainingStage, StageProgress>;
  };
  metrics: Record<string, number | undefined>;
  checkpoints: ModelCheckpoint[];
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What an evaluation measured: a run's samples, or a real split of a dataset (both with a model's classifier). */
export type EvaluationTarget =
  | { kind: 'run'; runId: string; datasetId: string; modelId: string }
  | { kind: 'split'; datasetId: string; split: 'train' | 'test'; modelId: string };

export interface Evaluation {
  id: string;
  status: RunStatus;
  target: EvaluationTarget;
  modelId: string | null;
  /** The latest value of each metric ({} until it succeeded). */
  metrics: Record<string, number>;
  /** Every stored metric with its extra figures. */
  details: { name: string; value: number; details: Record<string, unknown> }[];
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface ComparedRun {
  id: string;
  /** e.g. "ess sampler", "evaluation", "cbf generator (schedule nightly)". */
  name: string;
  kind: 'generate' | 'evaluate';
  sampler: Record<string, unknown> | null;
  status: RunStatus;
  createdAt: string;
  /** Index of the run's group (each run is its own group unless the ids had ';'-separated groups). */
  group: number;
  /** The latest value of each metric. */
  metrics: Record<string, number>;
}

/** GET /runs/compare. */
export interface RunComparison {
  runs: ComparedRun[];
  /** For every metric of the runs: which way is better (null: neither, e.g. a count). */
  betterDirection: Record<string, 'lower' | 'higher' | null>;
  /** Pooled FID of each group from its runs' stored evaluation features (null where unavailable). */
  groups: ({
    runIds: string[];
    samples: number;
    fid: number;
    meanTerm: number;
    covarianceTerm: number;
  } | null)[];
  /** Every other group against the first: FID(baseline) − FID(other) with a paired bootstrap CI. */
  comparisons: {
    metric: 'fid';
    baseline: number;
    other: number;
    difference: number;
    ci: { low: number; high: number; level: number; replicates: number };
    pairedSamples: number;
    /** The group with the lower FID when the CI excludes 0, else null. */
    better: 'baseline' | 'other' | null;
  }[];
  /** Why there are no comparisons, or null. */
  unavailable: string | null;
}

export interface Schedule {
  name: string;
  cron: string;
  timezone: string;
  nextRunAt?: string | null;
  run: CreateRunRequest;
}

export interface ScheduleHistoryEntry {
  runId: string;
  createdAt: string;
  status: RunStatus;
  error?: string | null;
  metrics: Record<string, number>;
}

/** One server-sent event of GET /events. */
export interface ProgressEvent {
  /** 'run' or 'model' (others may be added). */
  type: string;
  data: { id: string; status: string; progress?: unknown; [key: string]: unknown };
}
