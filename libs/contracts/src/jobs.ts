import { z } from 'zod';
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
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

const uuid = z.uuid();
const seed = z.number().int().min(0).max(0xffffffff);

/** The sampler that produced a shard. Model samplers join this union as they land. */
export const syntheticSamplerSchema = z.object({
  kind: z.literal('synthetic'),
  generator: z.string().min(1),
  length: z.number().int().min(8).max(100_000),
});

/** What a generation run is started from (API request or schedule template). */
export const generationRunTemplateSchema = z.object({
  sampler: syntheticSamplerSchema,
  numSamples: z.number().int().min(1),
  shardSize: z.number().int().min(1).max(100_000),
  priority: z.number().int().min(1).max(10),
  seed: seed.optional(),
});
export type GenerationRunTemplate = z.output<typeof generationRunTemplateSchema>;

export const jobPayloadSchemas = {
  [JobName.GenerateShard]: z.object({
    runId: uuid,
    shardIndex: z.number().int().min(0),
    sampleOffset: z.number().int().min(0),
    sampleCount: z.number().int().min(1).max(100_000),
    seed,
    sampler: syntheticSamplerSchema,
  }),
  [JobName.FinalizeGenerateRun]: z.object({ runId: uuid }),
  [JobName.FireSchedule]: z.object({
    teamId: uuid,
    scheduleName: z.string().min(1),
    run: generationRunTemplateSchema,
  }),
} satisfies Record<JobName, z.ZodType>;

export type JobPayload<N extends JobName> = z.output<(typeof jobPayloadSchemas)[N]>;
export type GenerateShardPayload = JobPayload<typeof JobName.GenerateShard>;
export type FinalizeGenerateRunPayload = JobPayload<typeof JobName.FinalizeGenerateRun>;
export type FireSchedulePayload = JobPayload<typeof JobName.FireSchedule>;

/** Discriminated union of all jobs: `{ name, data }` pairs that type-check together. */
export type JobItem = { [N in JobName]: { name: N; data: JobPayload<N> } }[JobName];

/** Which queue carries each job. Exhaustive: adding a job without a queue is a type error. */
export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.GenerateShard]: QueueName.Generate,
  [JobName.FinalizeGenerateRun]: QueueName.Generate,
  [JobName.FireSchedule]: QueueName.Generate,
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
