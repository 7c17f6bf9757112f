import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions, type DatabaseOptions } from './data-source';
import { DatasetRepository } from './repositories/dataset.repository';
import { EssBatchRepository } from './repositories/ess-batch.repository';
import { IdempotencyKeyRepository } from './repositories/idempotency-key.repository';
import { MetricRepository } from './repositories/metric.repository';
import { ModelRepository } from './repositories/model.repository';
import { RunFeaturesRepository } from './repositories/run-features.repository';
import { RunRepository } from './repositories/run.repository';
import { SampleRepository } from './repositories/sample.repository';
import { TeamRepository } from './repositories/team.repository';

const REPOSITORIES = [
  DatasetRepository,
  EssBatchRepository,
  IdempotencyKeyRepository,
  MetricRepository,
  ModelRepository,
  RunFeaturesRepository,
  RunRepository,
  SampleRepository,
  TeamRepository,
];

@Module({})
export class PersistenceModule {
  static forRoot(options: DatabaseOptions): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(options), retryAttempts: 3, retryDelay: 1000 })],
      providers: REPOSITORIES,
      exports: REPOSITORIES,
    };
  }
}
