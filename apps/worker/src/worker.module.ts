import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { QueueName } from '@maskgen/contracts';
import { CONSUMED_QUEUES, JobHandlerRegistry } from '@maskgen/queues';
import { GenerateRunHandlers } from './handlers/generate-run.handlers';
import { ScheduleHandlers } from './handlers/schedule.handlers';
import { QUEUE_PROCESSORS } from './processors/queue-processors';
import { TensorBackendInitializer } from './tensor-backend.initializer';

/** Job handlers plus one BullMQ processor per queue this process consumes (WORKER_QUEUES). */
@Module({})
export class WorkerModule {
  static forRoot(queues: readonly QueueName[]): DynamicModule {
    return {
      module: WorkerModule,
      imports: [DiscoveryModule],
      providers: [
        { provide: CONSUMED_QUEUES, useValue: queues },
        JobHandlerRegistry,
        TensorBackendInitializer,
        GenerateRunHandlers,
        ScheduleHandlers,
        ...queues.map((queue) => QUEUE_PROCESSORS[queue]),
      ],
    };
  }
}
