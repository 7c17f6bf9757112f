import { z } from 'zod';
import { metricValues, pageQuerySchema, pageSchema, timestamp, uuid } from './common';
import { RUN_STATUSES, SPLITS } from './values';

/** POST /evaluations: either `runId` (a run's samples) or `datasetId` + `split` (real data). */
export const createEvaluationRequestSchema = z
  .strictObject({
    runId: uuid.optional().meta({ description: 'A finished generation run of the team' }),
    datasetId: uuid
      .optional()
      .meta({ description: 'Evaluate a real split of this dataset against its test split' }),
    split: z.enum(SPLITS).optional().meta({ description: 'With datasetId' }),
    modelId: uuid.optional().meta({
      description:
        "Ready model whose evaluation classifier is used; defaults to the run's model, or for a split to the newest ready model of the dataset",
    }),
  })
  .superRefine((request, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (request.runId !== undefined && request.datasetId !== undefined) {
      issue('runId', 'Give either runId or datasetId (with split), not both');
    } else if (request.runId === undefined && request.datasetId === undefined) {
      issue('runId', 'runId must be a UUID (or give datasetId and split instead)');
    } else if (request.datasetId !== undefined && request.split === undefined) {
      issue('split', 'split is required with datasetId');
    }
  });
export type CreateEvaluationRequest = z.input<typeof createEvaluationRequestSchema>;

export const listEvaluationsQuerySchema = pageQuerySchema.extend({
  status: z.enum(RUN_STATUSES).optional(),
});

/** What an evaluation measured: a run's samples, or a real split of a dataset (both with a model's classifier). */
export const evaluationTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('run'), runId: uuid, datasetId: uuid, modelId: uuid }),
  z.object({ kind: z.literal('split'), datasetId: uuid, split: z.enum(SPLITS), modelId: uuid }),
]);
export type EvaluationTarget = z.output<typeof evaluationTargetSchema>;

export const evaluationSchema = z.object({
  id: uuid,
  status: z.enum(RUN_STATUSES),
  target: evaluationTargetSchema,
  modelId: uuid.nullable(),
  /** The latest value of each metric ({} until it succeeded). */
  metrics: metricValues,
  /** Every stored metric with its extra figures. */
  details: z.array(
    z.object({ name: z.string(), value: z.number(), details: z.record(z.string(), z.unknown()) }),
  ),
  error: z.string().nullable(),
  createdAt: timestamp,
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
});
export type Evaluation = z.output<typeof evaluationSchema>;
export const evaluationPageSchema = pageSchema(evaluationSchema);
