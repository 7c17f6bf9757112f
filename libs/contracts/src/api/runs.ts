import { z } from 'zod';
import { MIN_EVALUATION_SAMPLES, generationRunTemplateSchema, samplerSchema } from '../jobs';
import type { RunProvenance } from '../provenance';
import {
  pageQuerySchema,
  pageSchema,
  queryInt,
  metricValues,
  runPrioritySchema,
  seedSchema,
  shardSizeSchema,
  timestamp,
  uuid,
  type TeamRequestLimits,
} from './common';
import {
  COMPARE_MAX_RUNS,
  ESS_APPLY_TO,
  ESS_VARIANTS,
  EXPORT_FORMATS,
  INT4_MAX,
  RUN_KINDS,
  RUN_STATUSES,
} from './values';

export const DEFAULT_SHARD_SIZE = 1000;
export const DEFAULT_RUN_PRIORITY = 5;

/**
 * POST /runs (and a schedule's `run`): what a generation run is started from. numSamples is bounded by the team's
 * TEAM_MAX_SAMPLES_PER_RUN, and a model sampler needs MIN_EVALUATION_SAMPLES (its run is evaluated).
 */
export function createRunRequestSchema(limits: TeamRequestLimits) {
  return z
    .strictObject({
      sampler: samplerSchema.meta({
        description:
          "kind 'synthetic' (reference generators) or 'model' (naive or ESS sampling of a ready model)",
      }),
      numSamples: z
        .number()
        .int()
        .min(1)
        .max(limits.samplesPerRun, `must be at most ${limits.samplesPerRun} (TEAM_MAX_SAMPLES_PER_RUN)`)
        .meta({
          description: `Samples to generate; a model sampler needs at least ${MIN_EVALUATION_SAMPLES} (its run is evaluated)`,
        }),
      shardSize: shardSizeSchema.default(DEFAULT_SHARD_SIZE),
      seed: seedSchema.optional().meta({ description: 'Random when omitted; stored on the run' }),
      priority: runPrioritySchema
        .default(DEFAULT_RUN_PRIORITY)
        .meta({ description: '10 is the most urgent' }),
    })
    .superRefine((request, ctx) => {
      if (request.sampler.kind === 'model' && request.numSamples < MIN_EVALUATION_SAMPLES) {
        ctx.addIssue({
          code: 'custom',
          path: ['numSamples'],
          message: `numSamples must be at least ${MIN_EVALUATION_SAMPLES} for a model sampler: its run is evaluated (the Inception Score uses ${MIN_EVALUATION_SAMPLES} splits)`,
        });
      }
    });
}
export type CreateRunRequest = z.input<ReturnType<typeof createRunRequestSchema>>;
/** The validated request: defaults applied, ESS parameters normalised (a GenerationRunTemplate). */
export type CreateRunInput = z.output<ReturnType<typeof createRunRequestSchema>>;

export const listRunsQuerySchema = pageQuerySchema.extend({
  status: z.enum(RUN_STATUSES).optional(),
  kind: z.enum(RUN_KINDS).optional(),
});

export const samplesQuerySchema = z.strictObject({
  format: z.enum(EXPORT_FORMATS).optional().meta({ description: 'json (default), csv or npy' }),
  // Compared with sample_index, an int4 column.
  offset: queryInt(0, INT4_MAX).optional().meta({ description: 'First sample index (default 0)' }),
  limit: queryInt(1, 100_000_000)
    .optional()
    .meta({ description: 'Samples to return; JSON pages default to 100 (max 1000), CSV/NPY to all' }),
  worse: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional()
    .meta({
      description:
        "JSON pages only: 'true' gives only the samples ESS made worse in the critic's eyes (critic.worseUnderEss), and total counts them",
    }),
});

/** GET /runs/compare?ids=a,b or groups of runs (one per sampling seed) separated by ';'. */
export const compareRunsQuerySchema = z.strictObject({
  ids: z
    .string()
    .max(COMPARE_MAX_RUNS * 40)
    .transform((value) =>
      value
        .split(/[,;]/)
        .map((id) => id.trim())
        .filter((id) => id.length > 0),
    )
    .pipe(z.array(uuid).min(1).max(COMPARE_MAX_RUNS))
    .meta({
      description: `Comma-separated run ids (1 to ${COMPARE_MAX_RUNS}), or groups of runs (one per sampling seed) separated by ';', e.g. a1,a2,a3;b1,b2,b3`,
      example: 'id1,id2',
    }),
});

/** The ESS settings a sampler call ran with, defaults applied. */
export const essSettingsSchema = z.object({
  variant: z.enum(ESS_VARIANTS),
  windowRate: z.number(),
  threshold: z.number(),
  applyTo: z.enum(ESS_APPLY_TO),
  criticTemperature: z.number(),
  skipNoOpStep: z.boolean(),
  perSampleTStar: z.boolean(),
  fixedTStar: z.number().nullable(),
});
export type EssSettings = z.output<typeof essSettingsSchema>;

/** What an ESS run recorded: resolved settings, t* per sampler call and over samples, critic diagnostics. */
export const runEssSchema = z.object({
  /** Null until the first sampler call finished. */
  config: essSettingsSchema.nullable(),
  /** False if sampler calls recorded different settings. */
  consistent: z.boolean(),
  batches: z.array(
    z.object({
      firstSample: z.number().int(),
      shardIndex: z.number().int(),
      sampleCount: z.number().int(),
      tStar: z.number().int(),
      criticWorse: z.number().int(),
    }),
  ),
  /** Samples per LF t*. */
  tStarHistogram: z.record(z.string(), z.number().int()),
  samples: z.number().int(),
  /** Samples whose mean LF critic code distance rose under ESS. */
  criticWorse: z.number().int(),
});
export type RunEss = z.output<typeof runEssSchema>;

const shardCounts = z.object({
  total: z.number().int(),
  queued: z.number().int(),
  running: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
});

export const runTimingsSchema = z.object({
  createdAt: timestamp,
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
  durationMs: z.number().nullable(),
  /** Since the run started, on the server's clock (its duration once finished). */
  elapsedMs: z.number().nullable(),
  /** While running: time left at the rate so far; null otherwise. */
  etaMs: z.number().nullable(),
});

/** One inference engine that sampled shards of a run (libs/contracts/src/provenance.ts, the import-free type). */
export const engineProvenanceSchema = z.object({
  engine: z.enum(['ort', 'tfjs']),
  threads: z.number().int(),
  device: z.enum(['cpu', 'cuda']),
  version: z.string().nullable(),
  graphHash: z.string().nullable(),
});

export const runProvenanceSchema = z.object({
  engines: z.array(engineProvenanceSchema),
  modelHash: z.string(),
  codeVersion: z.string(),
});

/** GET /runs/:id and every route answering one run. */
export const runSchema = z.object({
  id: uuid,
  kind: z.enum(RUN_KINDS),
  status: z.enum(RUN_STATUSES),
  /** The run's template (sampler, numSamples, …) or an evaluation's target, as stored. */
  params: z.looseObject({
    sampler: samplerSchema.optional(),
  }),
  seed: z.number().int(),
  /** 0..1 */
  progress: z.number().min(0).max(1),
  error: z.string().nullable(),
  shards: shardCounts,
  samplesStored: z.number().int().min(0),
  /** Model runs: what produced the samples (inference engine per worker, model hash, code version). */
  provenance: runProvenanceSchema.nullable(),
  /** ESS runs: resolved settings and t* (null for other runs). */
  ess: runEssSchema.nullable(),
  timings: runTimingsSchema,
});
export type Run = z.output<typeof runSchema>;
// The schema and the import-free provenance type describe one shape.
true satisfies z.output<typeof runProvenanceSchema> extends RunProvenance ? true : false;
export const runPageSchema = pageSchema(runSchema);

export const metricSchema = z.object({
  name: z.string(),
  value: z.number(),
  details: z.record(z.string(), z.unknown()),
  createdAt: timestamp,
});
export type Metric = z.output<typeof metricSchema>;
export const runMetricsSchema = z.object({ runId: uuid, items: z.array(metricSchema) });

/**
 * What the critic said of one sample as a whole: mean and max LF critic code distance of its final tokens (lower
 * looks more real); ESS samples add the mean before ESS and whether ESS made the sample worse (mean after > before).
 * The sampler produces it (SampleCriticResult), the worker stores it and GET /runs/:id/samples answers it.
 */
export const sampleCriticSchema = z.object({
  mean: z.number(),
  max: z.number(),
  /** Null for naive samples (and ESS samples stored before it was recorded). */
  meanBeforeEss: z.number().nullable().optional(),
  worseUnderEss: z.boolean().nullable().optional(),
});
export type SampleCriticSummary = z.output<typeof sampleCriticSchema>;

/** One sample as GET /runs/:id/samples pages it. */
export const sampleSchema = z.object({
  index: z.number().int(),
  shard: z.number().int(),
  classIndex: z.number().int().nullable(),
  values: z.array(z.number()),
  /** Null for synthetic samples. */
  critic: sampleCriticSchema.nullable(),
  /** Final token ids of model samples (frequency-major grids); null for synthetic samplers. */
  tokens: z.object({ lf: z.array(z.number().int()), hf: z.array(z.number().int()) }).nullable(),
});
export type Sample = z.output<typeof sampleSchema>;
export const samplePageSchema = z.object({
  runId: uuid,
  total: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
  items: z.array(sampleSchema),
});
export type SamplePage = z.output<typeof samplePageSchema>;

/** One band's per-token critic scores of a sample. */
export const tokenGridScoresSchema = z.object({
  rows: z.number().int(),
  columns: z.number().int(),
  /** Scores of the tokens the naive pass produced (s_T). */
  before: z.array(z.number()),
  /** Scores of the final tokens after ESS; null for naive sampling. */
  after: z.array(z.number()).nullable(),
  /** A 0/1 mask over the grid: 1 where ESS re-masked and resampled the token; null for naive sampling. */
  remasked: z.array(z.number().int()).nullable(),
});
export type TokenGridScores = z.output<typeof tokenGridScoresSchema>;
/** GET /runs/:id/samples/:index/critic; a band is null when the sample has no stored scores for it. */
export const criticScoresSchema = z.object({
  lf: tokenGridScoresSchema.nullable(),
  hf: tokenGridScoresSchema.nullable(),
});
export type CriticScores = z.output<typeof criticScoresSchema>;

/**
 * A band's per-token scores in memory, from the sampler through the database to the API: the wire shape
 * (TokenGridScores) with float32 scores and a 0/1 byte mask in place of number arrays.
 */
export type TokenGridArrays = Omit<TokenGridScores, 'before' | 'after' | 'remasked'> & {
  readonly before: Float32Array;
  readonly after: Float32Array | null;
  readonly remasked: Uint8Array | null;
};
/** CriticScores with its grids in memory (TokenGridArrays). */
export type CriticScoreArrays = { readonly [Band in keyof CriticScores]: TokenGridArrays | null };

/**
 * One sample's critic result as the sampler produces it and the worker stores it: the summary GET /runs/:id/samples
 * answers, and the per-token grids GET /runs/:id/samples/:index/critic answers (LF always; HF where ESS refined it).
 * A sampler may carry more per grid (e.g. the raw code distances) through `Grid`.
 */
export interface SampleCriticResult<Grid extends TokenGridArrays = TokenGridArrays> {
  readonly summary: SampleCriticSummary;
  readonly scores: { readonly lf: Grid; readonly hf: Grid | null };
}

/** The wire form of in-memory critic scores (number arrays in place of typed ones). */
export function criticScoresJson(scores: CriticScoreArrays): CriticScores {
  const band = (grid: TokenGridArrays | null): TokenGridScores | null =>
    grid === null
      ? null
      : {
          rows: grid.rows,
          columns: grid.columns,
          before: Array.from(grid.before),
          after: grid.after === null ? null : Array.from(grid.after),
          remasked: grid.remasked === null ? null : Array.from(grid.remasked),
        };
  return { lf: band(scores.lf), hf: band(scores.hf) };
}

const betterDirection = z.enum(['lower', 'higher']).nullable();
export const comparedRunSchema = z.object({
  id: uuid,
  /** e.g. "ess sampler", "evaluation", "cbf generator (schedule nightly)". */
  name: z.string(),
  kind: z.enum(RUN_KINDS),
  sampler: z.record(z.string(), z.unknown()).nullable(),
  status: z.enum(RUN_STATUSES),
  createdAt: timestamp,
  /** Index of the run's group (each run is its own group unless the ids had ';'-separated groups). */
  group: z.number().int(),
  /** The latest value of each metric. */
  metrics: metricValues,
});
export type ComparedRun = z.output<typeof comparedRunSchema>;

/** GET /runs/compare. */
export const runComparisonSchema = z.object({
  runs: z.array(comparedRunSchema),
  /** For every metric of the runs: which way is better (null: neither, e.g. a count). */
  betterDirection: z.record(z.string(), betterDirection),
  /** Pooled FID of each group from its runs' stored evaluation features (null where unavailable). */
  groups: z.array(
    z
      .object({
        runIds: z.array(uuid),
        samples: z.number().int(),
        fid: z.number(),
        meanTerm: z.number(),
        covarianceTerm: z.number(),
      })
      .nullable(),
  ),
  /** Every other group against the first: FID(baseline) − FID(other) with a paired bootstrap CI. */
  comparisons: z.array(
    z.object({
      metric: z.literal('fid'),
      baseline: z.number().int(),
      other: z.number().int(),
      difference: z.number(),
      ci: z.object({ low: z.number(), high: z.number(), level: z.number(), replicates: z.number().int() }),
      pairedSamples: z.number().int(),
      /** The group with the lower FID when the CI excludes 0, else null. */
      better: z.enum(['baseline', 'other']).nullable(),
    }),
  ),
  /** Why there are no comparisons, or null. */
  unavailable: z.string().nullable(),
});
export type RunComparison = z.output<typeof runComparisonSchema>;

/** Runs' sample export beside JSON: CSV text or a NumPy .npy file. */
export const SAMPLE_EXPORT_MEDIA = { csv: 'text/csv', npy: 'application/octet-stream' } as const;

export { generationRunTemplateSchema };
