import { Module } from '@nestjs/common';
import { ModelRepository, RunRepository } from '@maskgen/persistence';
import { ModelLifecycle } from './model-lifecycle';
import { MODEL_STORE } from './model-store';
import { RunLifecycle } from './run-lifecycle';
import { RUN_STORE } from './run-store';

/** RunLifecycle and ModelLifecycle over the PostgreSQL run and model stores (PersistenceModule is global). */
@Module({
  providers: [
    { provide: RUN_STORE, useExisting: RunRepository },
    RunLifecycle,
    { provide: MODEL_STORE, useExisting: ModelRepository },
    ModelLifecycle,
  ],
  exports: [RunLifecycle, ModelLifecycle],
})
export class RunsModule {}
