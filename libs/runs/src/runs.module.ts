import { Module } from '@nestjs/common';
import { RunRepository } from '@maskgen/persistence';
import { RunLifecycle } from './run-lifecycle';
import { RUN_STORE } from './run-store';

/** RunLifecycle over the PostgreSQL run store (PersistenceModule is global). */
@Module({
  providers: [{ provide: RUN_STORE, useExisting: RunRepository }, RunLifecycle],
  exports: [RunLifecycle],
})
export class RunsModule {}
