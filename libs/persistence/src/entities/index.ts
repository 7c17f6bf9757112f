import { ApiKeyEntity } from './api-key.entity';
import { DatasetSeriesEntity } from './dataset-series.entity';
import { DatasetEntity } from './dataset.entity';
import { EssBatchEntity } from './ess-batch.entity';
import { IdempotencyKeyEntity } from './idempotency-key.entity';
import { MetricEntity } from './metric.entity';
import { ModelCheckpointEntity } from './model-checkpoint.entity';
import { ModelEntity } from './model.entity';
import { RunFeaturesEntity } from './run-features.entity';
import { RunEntity } from './run.entity';
import { SAMPLES_PRIMARY_KEY, SampleEntity } from './sample.entity';
import { ShardEntity } from './shard.entity';
import { TeamEntity } from './team.entity';
import { TokenCriticScoreEntity } from './token-critic-score.entity';

export {
  ApiKeyEntity,
  DatasetEntity,
  DatasetSeriesEntity,
  EssBatchEntity,
  IdempotencyKeyEntity,
  MetricEntity,
  ModelCheckpointEntity,
  ModelEntity,
  RunEntity,
  RunFeaturesEntity,
  SAMPLES_PRIMARY_KEY,
  SampleEntity,
  ShardEntity,
  TeamEntity,
  TokenCriticScoreEntity,
};
export type * from './api-key.entity';
export type * from './dataset-series.entity';
export type * from './dataset.entity';
export type * from './ess-batch.entity';
export type * from './idempotency-key.entity';
export type * from './model-checkpoint.entity';
export type * from './model.entity';
export type * from './run-features.entity';
export type * from './run.entity';
export type * from './shard.entity';
export type * from './token-critic-score.entity';

export const ENTITIES = [
  TeamEntity,
  ApiKeyEntity,
  DatasetEntity,
  DatasetSeriesEntity,
  ModelEntity,
  ModelCheckpointEntity,
  RunEntity,
  ShardEntity,
  SampleEntity,
  TokenCriticScoreEntity,
  MetricEntity,
  EssBatchEntity,
  RunFeaturesEntity,
  IdempotencyKeyEntity,
];
