import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { AppConfig } from '@maskgen/config';
import { CONSUMED_QUEUES, JobHandlerRegistry } from '@maskgen/queues';
import { GenerateRunHandlers } from './handlers/generate-run.handlers';
import { ScheduleHandlers } from './handlers/schedule.handlers';
import { queueProcessorFor } from './processors/queue-processors';
import { TensorBackendInitializer } from './tensor-backend.initializer';

/** Job handlers plus one BullMQ processor per queue this process consumes (WORKER_QUEUES). */
@Module({})
export class WorkerModule {
  static forRoot(worker: AppConfig['worker']): DynamicModule {
    return {
      module: WorkerModule,
      imports: [DiscoveryModule],
      providers: [
        { provide: CONSUMED_QUEUES, useValue: worker.queues },
        JobHandlerRegistry,
        TensorBackendInitializer,
        GenerateRunHandlers,
        ScheduleHandlers,
        ...worker.queues.map((queue) => queueProcessorFor(queue, worker)),
      ],
    };
  }
}
