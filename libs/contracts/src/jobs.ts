import { z } from 'zod';
import { runPrioritySchema, seedSchema, shardSizeSchema, syntheticLengthSchema, uuid } from './api/common';
import {
  CLASS_MODES,
  ESS_APPLY_TO,
  ESS_VARIANTS,
  SAMPLER_METHODS,
  SYNTHETIC_GENERATORS,
  TRAINING_STAGES,
} from './api/values';
import { QueueName } from './queues';

/**
 * Every job the system runs. A job name belongs to exactly one queue, and its
 * payload type is fixed here, so producer and consumer cannot disagree.
 */
export const JobName = {
  /** Generates one shard of a generation run and stores its samples. */
  GenerateShard: 'generate.shard',
  /** Parent of a run's shard flow: runs after every shard and settles the run. */
  FinalizeGenerateRun: 'generate.finalize-run',
  /** Fired by a team's cron schedule: starts one generation run from the schedule's template. */
  FireSchedule: 'schedule.fire',
  /** Training flow, one job per stage, each a parent of the stage before it. */
  TrainStage1: 'train.stage1',
  TrainPrior: 'train.prior',
  TrainCritic: 'train.critic',
  TrainClassifier: 'train.classifier',
  /** After a model run's shards: computes its metrics against the real test split and settles the run. */
  EvaluateGeneratedRun: 'evaluate.generated-run',
  /** An evaluation requested through POST /evaluations (of a run or of a real split). */
  RunEvaluation: 'evaluate.evaluation',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/** Training stages in flow order; each stores one checkpoint. */
export const MODEL_STAGES = TRAINING_STAGES;
export type ModelStageName = (typeof MODEL_STAGES)[number];

export const TRAIN_STAGE_JOB: Record<ModelStageName, JobName> = {
  stage1: JobName.TrainStage1,
  prior: JobName.TrainPrior,
  critic: JobName.TrainCritic,
  classifier: JobName.TrainClassifier,
};

/**
 * The training DAG: the stages each stage needs stored before it starts. The classifier (the evaluation FCN) needs
 * only the dataset, so it trains beside stage 1; the model is ready once every stage is stored.
 */
export const MODEL_STAGE_INPUTS: Record<ModelStageName, readonly ModelStageName[]> = {
  stage1: [],
  prior: ['stage1'],
  critic: ['stage1', 'prior'],
  classifier: [],
};

export * from './training-profiles';

/** The reference sampler drawing from a built-in synthetic generator. */
export const syntheticSamplerSchema = z.strictObject({
  kind: z
    .literal('synthetic')
    .meta({ description: 'Reference sampler drawing from a built-in synthetic generator' }),
  generator: z.enum(SYNTHETIC_GENERATORS),
  length: syntheticLengthSchema,
});

const essParamsInput = z
  .strictObject({
    windowRate: z
      .number()
      .min(0.01)
      .max(1)
      .meta({ description: 'Error window rate (window = rate·T); default 0.3' }),
    threshold: z
      .number()
      .min(0.01)
      .max(100)
      .meta({ description: 'Stop threshold on the moving average of error ratios; default 1.0' }),
    applyTo: z.enum(ESS_APPLY_TO).meta({ description: "default 'lf'" }),
    variant: z.enum(ESS_VARIANTS).meta({
      description:
        "Resampling variant: 'R', the released algorithm (every token is redrawn at each step and any may be re-masked; the default), or 'D', keep-visible (only the tokens reverse sampling re-masked may change)",
    }),
    /** Superseded by `variant` (true = 'D', false = 'R'); still accepted from older clients and stored jobs. */
    keepVisible: z.boolean().meta({
      deprecated: true,
      description: "Use variant: true is 'D', false is 'R'; refused when it contradicts variant",
    }),
  })
  .partial();
export type EssParamsInput = z.input<typeof essParamsInput>;

/** Why `keepVisible` and `variant` disagree, or undefined when they do not. */
export function essParamsConflict(params: EssParamsInput): string | undefined {
  const { keepVisible, variant } = params;
  if (keepVisible === undefined || variant === undefined || (keepVisible ? 'D' : 'R') === variant) return;
  return `ess.keepVisible ${keepVisible} contradicts ess.variant '${variant}' (keepVisible true is 'D', false is 'R'); send variant only`;
}

/** The parameters with `keepVisible` turned into its variant: what the sampler takes. */
export function normalizeEssParams({ keepVisible, ...rest }: EssParamsInput): EssParams {
  return keepVisible === undefined ? rest : { ...rest, variant: rest.variant ?? (keepVisible ? 'D' : 'R') };
}

/** ESS parameters (ess.md §5.3–§5.5); omitted ones take the sampler's defaults (ESS_DEFAULTS). */
export const essParamsSchema = essParamsInput
  .superRefine((params, ctx) => {
    const conflict = essParamsConflict(params);
    if (conflict !== undefined) ctx.addIssue({ code: 'custom', message: conflict, path: ['keepVisible'] });
  })
  .transform(normalizeEssParams);
export type EssParams = Omit<z.output<typeof essParamsInput>, 'keepVisible'>;

/** The Inception Score averages over 10 splits of the samples (ess.md §7), so an evaluation needs 10. */
export const MIN_EVALUATION_SAMPLES = 10;

/** A trained model's sampler: naive iterative decoding or ESS. */
export const modelSamplerSchema = z.strictObject({
  kind: z.literal('model').meta({ description: "A trained model's sampler" }),
  modelId: uuid.meta({ description: 'A ready model of the team' }),
  method: z.enum(SAMPLER_METHODS),
  /** 'balanced': sample i gets class i mod classes; 'unconditional': no class. */
  classes: z.enum(CLASS_MODES).default('unconditional'),
  ess: essParamsSchema.optional().meta({ description: "ESS parameters (method 'ess')" }),
});
export type ModelSampler = z.output<typeof modelSamplerSchema>;

export const samplerSchema = z.discriminatedUnion('kind', [syntheticSamplerSchema, modelSamplerSchema]);
export type Sampler = z.output<typeof samplerSchema>;

/** What a generation run is started from (API request or schedule template). */
export const generationRunTemplateSchema = z.object({
  sampler: samplerSchema,
  numSamples: z.number().int().min(1),
  shardSize: shardSizeSchema,
  priority: runPrioritySchema,
  seed: seedSchema.optional(),
});
export type GenerationRunTemplate = z.output<typeof generationRunTemplateSchema>;

const modelJob = z.object({ modelId: uuid });

export const jobPayloadSchemas = {
  [JobName.GenerateShard]: z.object({
    runId: uuid,
    shardIndex: z.number().int().min(0),
    sampleOffset: z.number().int().min(0),
    sampleCount: shardSizeSchema,
    seed: seedSchema,
    sampler: samplerSchema,
  }),
  [JobName.FinalizeGenerateRun]: z.object({
    runId: uuid,
    /** An evaluation job follows and settles the run; finalising only checks the shards. */
    evaluationFollows: z.boolean().optional(),
  }),
  [JobName.FireSchedule]: z.object({
    teamId: uuid,
    scheduleName: z.string().min(1),
    run: generationRunTemplateSchema,
  }),
  [JobName.TrainStage1]: modelJob,
  [JobName.TrainPrior]: modelJob,
  [JobName.TrainCritic]: modelJob,
  [JobName.TrainClassifier]: modelJob,
  [JobName.EvaluateGeneratedRun]: z.object({ runId: uuid }),
  /** runId is the evaluation's own run (kind 'evaluate'); its params say what is evaluated. */
  [JobName.RunEvaluation]: z.object({ runId: uuid }),
} satisfies Record<JobName, z.ZodType>;

export type JobPayload<N extends JobName> = z.output<(typeof jobPayloadSchemas)[N]>;
export type GenerateShardPayload = JobPayload<typeof JobName.GenerateShard>;
export type FinalizeGenerateRunPayload = JobPayload<typeof JobName.FinalizeGenerateRun>;
export type FireSchedulePayload = JobPayload<typeof JobName.FireSchedule>;
export type TrainStagePayload = z.output<typeof modelJob>;
export type EvaluateGeneratedRunPayload = JobPayload<typeof JobName.EvaluateGeneratedRun>;
export type RunEvaluationPayload = JobPayload<typeof JobName.RunEvaluation>;

/** Discriminated union of all jobs: `{ name, data }` pairs that type-check together. */
export type JobItem = { [N in JobName]: { name: N; data: JobPayload<N> } }[JobName];

/** Which queue carries each job. Exhaustive: adding a job without a queue is a type error. */
export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.GenerateShard]: QueueName.Generate,
  [JobName.FinalizeGenerateRun]: QueueName.Generate,
  [JobName.FireSchedule]: QueueName.Generate,
  [JobName.TrainStage1]: QueueName.Train,
  [JobName.TrainPrior]: QueueName.Train,
  [JobName.TrainCritic]: QueueName.Train,
  // On the evaluate queue: the evaluation FCN is a short CPU/GPU job of its own, and a worker runs one job per queue
  // at a time, so it trains while stage 1 holds the train queue.
  [JobName.TrainClassifier]: QueueName.Evaluate,
  [JobName.EvaluateGeneratedRun]: QueueName.Evaluate,
  [JobName.RunEvaluation]: QueueName.Evaluate,
};

export const JOB_NAMES = Object.keys(JOB_QUEUE) as JobName[];

export function isJobName(name: string): name is JobName {
  return Object.prototype.hasOwnProperty.call(JOB_QUEUE, name);
}

export function jobsOfQueue(queue: QueueName): JobName[] {
  return JOB_NAMES.filter((name) => JOB_QUEUE[name] === queue);
}

export class InvalidJobPayloadError extends Error {
  constructor(name: string, detail: string) {
    super(`Invalid payload for job "${name}": ${detail}`);
    this.name = 'InvalidJobPayloadError';
  }
}

/** Validates a payload at the queue boundary (both when adding and when processing). */
export function parseJobPayload<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  const result = jobPayloadSchemas[name].safeParse(data);
  if (!result.success) {
    throw new InvalidJobPayloadError(
      name,
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; '),
    );
  }
  return result.data as JobPayload<N>;
}
