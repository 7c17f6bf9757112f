import { z } from 'zod';
import { pageQuerySchema, resourceName, seedSchema, syntheticLengthSchema, timestamp, uuid } from './common';
import { BUILTIN_DATASETS, DATASET_SOURCE_KINDS, SPLITS, SYNTHETIC_GENERATORS } from './values';

/** POST /datasets/upload: the form fields beside the `train` and `test` files. */
export const uploadDatasetRequestSchema = z.strictObject({
  name: resourceName.meta({ description: 'Unique within the team' }),
  missing: z.enum(['reject', 'interpolate']).default('reject'),
  length: z.enum(['reject', 'resample']).default('reject'),
});
export type UploadDatasetRequest = z.input<typeof uploadDatasetRequestSchema>;

/** POST /datasets/synthetic. */
export const syntheticDatasetRequestSchema = z.strictObject({
  name: resourceName,
  generator: z.enum(SYNTHETIC_GENERATORS),
  length: syntheticLengthSchema
    .optional()
    .meta({ description: "Defaults to the generator's classic length" }),
  trainPerClass: z.number().int().min(1).max(10_000),
  testPerClass: z.number().int().min(1).max(10_000),
  seed: seedSchema,
});
export type SyntheticDatasetRequest = z.input<typeof syntheticDatasetRequestSchema>;

/** POST /datasets/builtin. */
export const builtinDatasetRequestSchema = z.strictObject({
  dataset: z.enum(BUILTIN_DATASETS).meta({ description: 'A vendored UCR dataset' }),
  name: resourceName.optional().meta({ description: 'Defaults to the dataset name' }),
});
export type BuiltinDatasetRequest = z.input<typeof builtinDatasetRequestSchema>;

export const seriesQuerySchema = pageQuerySchema.extend({
  split: z.enum(SPLITS).optional().meta({ description: 'train (default) or test' }),
});

export const datasetSchema = z.object({
  id: uuid,
  name: z.string(),
  sourceKind: z.enum(DATASET_SOURCE_KINDS),
  sourceDetails: z.record(z.string(), z.unknown()),
  seriesLength: z.number().int(),
  /** Original label names; a series' class index points into this list. */
  classNames: z.array(z.string()),
  trainCount: z.number().int(),
  testCount: z.number().int(),
  createdAt: timestamp,
});
export type Dataset = z.output<typeof datasetSchema>;
export const datasetPageSchema = z.object({
  items: z.array(datasetSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

export const datasetSeriesSchema = z.object({
  index: z.number().int(),
  classIndex: z.number().int(),
  values: z.array(z.number()),
});
export type DatasetSeries = z.output<typeof datasetSeriesSchema>;

/** GET /datasets/:id/series. */
export const datasetSeriesPageSchema = z.object({
  datasetId: uuid,
  split: z.enum(SPLITS),
  offset: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
  items: z.array(datasetSeriesSchema),
});
export type DatasetSeriesPage = z.output<typeof datasetSeriesPageSchema>;
