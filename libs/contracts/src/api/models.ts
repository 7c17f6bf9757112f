import { z } from 'zod';
import { DEFAULT_TRAINING_PROFILE, TRAINING_PROFILES } from '../training-profiles';
import { pageQuerySchema, pageSchema, resourceName, seedSchema, timestamp, uuid } from './common';
import { MODEL_STATUSES, TRAINING_STAGES } from './values';

/** POST /models. */
export const createModelRequestSchema = z.strictObject({
  datasetId: uuid.meta({ description: 'Dataset of the team to train on (its train split)' }),
  name: resourceName.optional().meta({ description: 'Defaults to "<dataset name>-<profile>"' }),
  profile: z.enum(TRAINING_PROFILES).default(DEFAULT_TRAINING_PROFILE).meta({
    description: "Size preset: 'tiny' (seconds, for tests), 'cpu' (minutes), 'paper' (the spec's sizes)",
  }),
  seed: seedSchema.optional().meta({ description: 'Random when omitted' }),
});
export type CreateModelRequest = z.input<typeof createModelRequestSchema>;

export const listModelsQuerySchema = pageQuerySchema.extend({
  status: z.enum(MODEL_STATUSES).optional(),
  datasetId: uuid.optional(),
});

export const stageProgressSchema = z.object({
  status: z.enum(['pending', 'running', 'done', 'failed', 'cancelled']),
  step: z.number().int(),
  totalSteps: z.number().int(),
  loss: z.number().nullable(),
  /** Set when this run of the stage resumed an interrupted one from its checkpoint at this step. */
  resumedFromStep: z.number().int().optional(),
  /** Loss curve, thinned to at most MAX_LOSS_HISTORY points. */
  history: z.array(z.object({ step: z.number().int(), loss: z.number() })),
});
export type StageProgressView = z.output<typeof stageProgressSchema>;

export const modelCheckpointSchema = z.object({
  stage: z.enum(TRAINING_STAGES),
  sha256: z.string(),
  byteSize: z.number().int(),
  createdAt: timestamp,
});
export type ModelCheckpoint = z.output<typeof modelCheckpointSchema>;

/** GET /models/:id and every route answering one model. */
export const modelSchema = z.object({
  id: uuid,
  name: z.string(),
  datasetId: uuid,
  status: z.enum(MODEL_STATUSES),
  profile: z.enum(TRAINING_PROFILES),
  seed: z.number().int(),
  /** The current stage (null before the first starts) and every stage's own state. */
  progress: z.object({
    stage: z.enum(TRAINING_STAGES).nullable(),
    step: z.number().int(),
    totalSteps: z.number().int(),
    loss: z.number().nullable(),
    stages: z.record(z.enum(TRAINING_STAGES), stageProgressSchema),
  }),
  metrics: z.record(z.string(), z.number()),
  checkpoints: z.array(modelCheckpointSchema),
  error: z.string().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type Model = z.output<typeof modelSchema>;
export const modelPageSchema = pageSchema(modelSchema);
