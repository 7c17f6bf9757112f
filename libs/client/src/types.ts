/**
 * Shapes of the maskgen HTTP API as its clients (CLI, dashboard) read them: inferred from the zod schemas in
 * libs/contracts/src/api (type-only imports, so the dashboard's bundle takes no zod). Dates arrive as ISO strings.
 */
import type { z } from 'zod';
import type {
  essParamsSchema,
  modelSamplerSchema,
  progressEventSchema,
  stageProgressSchema,
  syntheticSamplerSchema,
} from '../../contracts/src';

export type {
  ComparedRun,
  CreateRunRequest,
  CriticScores,
  Dataset,
  DatasetSeries,
  DatasetSeriesPage,
  EssSettings,
  Evaluation,
  EvaluationTarget,
  Metric,
  Model,
  ModelCheckpoint,
  Page,
  Run,
  RunComparison,
  RunEss,
  Sample,
  SampleCriticSummary,
  SamplePage,
  Schedule,
  ScheduleHistoryEntry,
  TokenGridScores,
} from '../../contracts/src';
// Import-free value lists, so the dashboard and the CLI share them with the API's schemas.
export {
  BUILTIN_DATASETS,
  CLASS_MODES,
  ESS_PARAMS_EXAMPLE,
  ESS_VARIANTS,
  FINISHED_MODEL_STATUSES,
  FINISHED_RUN_STATUSES,
  RUN_STATUSES,
  SAMPLER_METHODS,
  SYNTHETIC_GENERATORS,
  SYNTHETIC_LENGTH,
  TRAINING_STAGES,
  type ClassMode,
  type EssVariantName,
  type SamplerMethod,
  type SyntheticGenerator,
  type ModelStatus,
  type RunStatus,
  type TrainingStage,
} from '../../contracts/src/api/values';

/** A sampler as a request gives it (defaults may be left out). */
export type SyntheticSampler = z.input<typeof syntheticSamplerSchema>;
export type ModelSampler = z.input<typeof modelSamplerSchema>;
export type Sampler = SyntheticSampler | ModelSampler;
/** ESS parameters of a request; omitted ones take the sampler's defaults (variant 'R'). */
export type EssParams = z.input<typeof essParamsSchema>;
export type StageProgress = z.output<typeof stageProgressSchema>;
/** One server-sent event of GET /events. */
export type ProgressEvent = z.output<typeof progressEventSchema>;
