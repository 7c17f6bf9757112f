/**
 * The value lists of the HTTP API's wire shapes (statuses, kinds, generators, …). No imports, so libs/client can
 * re-export them by path and the dashboard's bundle takes them without zod; the zod schemas of the same shapes
 * (libs/contracts/src/api) are built from these lists.
 */
export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const FINISHED_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];
/** A run's shards move through the run's statuses. */
export const SHARD_STATUSES = RUN_STATUSES;
export type ShardStatus = RunStatus;

export const RUN_KINDS = ['train', 'generate', 'evaluate'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

export const MODEL_STATUSES = ['pending', 'training', 'ready', 'failed', 'cancelled'] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];
export const FINISHED_MODEL_STATUSES: readonly ModelStatus[] = ['ready', 'failed', 'cancelled'];

/** Training stages in flow order; each stores one checkpoint. */
export const TRAINING_STAGES = ['stage1', 'prior', 'critic', 'classifier'] as const;
export type TrainingStage = (typeof TRAINING_STAGES)[number];

/** The built-in synthetic generators (datasets and reference samplers). */
export const SYNTHETIC_GENERATORS = ['cbf', 'synthetic-control'] as const;
export type SyntheticGenerator = (typeof SYNTHETIC_GENERATORS)[number];

/** The UCR datasets shipped with maskgen. */
export const BUILTIN_DATASETS = ['CBF', 'ECG200', 'GunPoint', 'ItalyPowerDemand'] as const;

export const DATASET_SOURCE_KINDS = ['upload', 'synthetic', 'builtin'] as const;
export const SPLITS = ['train', 'test'] as const;
export type Split = (typeof SPLITS)[number];

export const SAMPLER_METHODS = ['naive', 'ess'] as const;
export type SamplerMethod = (typeof SAMPLER_METHODS)[number];
export const CLASS_MODES = ['unconditional', 'balanced'] as const;
export type ClassMode = (typeof CLASS_MODES)[number];
export const ESS_APPLY_TO = ['lf', 'lf+hf'] as const;
/**
 * ESS resampling variants (ess.md §5.4, §10), as the sampler's EssConfig.variant: 'R' the released code (every
 * token redrawn at each step; the default), 'D' keep-visible (only re-masked tokens change).
 */
export const ESS_VARIANTS = ['R', 'D'] as const;
export type EssVariantName = (typeof ESS_VARIANTS)[number];

export const EXPORT_FORMATS = ['json', 'csv', 'npy'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** PostgreSQL `integer` (int4): sample and shard indices are stored as int4. */
export const INT4_MAX = 2_147_483_647;
/**
 * SQL OFFSET is an int8; a JS number is exact only up to 2^53 − 1, which is well inside int8, so page offsets
 * stop there.
 */
export const OFFSET_MAX = Number.MAX_SAFE_INTEGER;
/** Seeds are uint32. */
export const SEED_MAX = 0xffffffff;
/** Series lengths a synthetic generator makes (datasets and reference samplers). */
export const SYNTHETIC_LENGTH = { min: 8, max: 4096 } as const;
/** Largest shard a run may ask for (also the GenerateShard job's sampleCount bound). */
export const MAX_SHARD_SIZE = 100_000;
/** A run's queue priority; 10 is the most urgent. */
export const RUN_PRIORITY = { min: 1, max: 10 } as const;
/** Runs a request may compare at once. */
export const COMPARE_MAX_RUNS = 20;

/** The ESS parameters the CLI's help shows as an example; a test parses it with the request schema. */
export const ESS_PARAMS_EXAMPLE = '{"threshold":1.5,"applyTo":"lf+hf"}';
