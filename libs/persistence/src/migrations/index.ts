import type { MigrationInterface } from 'typeorm';
import { InitialSchema1764400000000 } from './1764400000000-initial-schema';
import { SamplesExportIndex1764410000000 } from './1764410000000-samples-export-index';
import { ModelTraining1764420000000 } from './1764420000000-model-training';
import { RunRecovery1764430000000 } from './1764430000000-run-recovery';
import { RunProvenance1764440000000 } from './1764440000000-run-provenance';
import { EssBatches1764450000000 } from './1764450000000-ess-batches';
import { ShardSamplesStored1764470000000 } from './1764470000000-shard-samples-stored';
import { IdempotencyKeys1764480000000 } from './1764480000000-idempotency-keys';
import { RunFeatures1764490000000 } from './1764490000000-run-features';
import { ModelCheckpointPartial1764500000000 } from './1764500000000-model-checkpoint-partial';
import { SampleCriticBefore1764515000000 } from './1764515000000-sample-critic-before';
import { ShardProgress1764530000000 } from './1764530000000-shard-progress';
import { SamplesRunIndexKey1764540000000 } from './1764540000000-samples-run-index-key';

type MigrationClass = new () => MigrationInterface;

/** Every migration, oldest first. A new migration must be appended here. */
export const MIGRATIONS: MigrationClass[] = [
  InitialSchema1764400000000,
  SamplesExportIndex1764410000000,
  ModelTraining1764420000000,
  RunRecovery1764430000000,
  RunProvenance1764440000000,
  EssBatches1764450000000,
  ShardSamplesStored1764470000000,
  IdempotencyKeys1764480000000,
  RunFeatures1764490000000,
  ModelCheckpointPartial1764500000000,
  SampleCriticBefore1764515000000,
  ShardProgress1764530000000,
  SamplesRunIndexKey1764540000000,
];
