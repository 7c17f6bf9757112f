import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { AppConfig } from '@maskgen/config';
import { CONSUMED_QUEUES, JobHandlerRegistry } from '@maskgen/queues';
import { RunReconciler, RunsModule } from '@maskgen/runs';
import { EvaluateHandlers } from './handlers/evaluate.handlers';
import { GenerateRunHandlers } from './handlers/generate-run.handlers';
import { ScheduleHandlers } from './handlers/schedule.handlers';
import { TrainHandlers } from './handlers/train.handlers';
import { MODEL_CACHE_CAPACITY, ModelCache } from './models/model-cache';
import { RunEvaluator } from './models/run-evaluator';
import { WorkerInference } from './models/worker-inference';
import { queueProcessorFor } from './processors/queue-processors';
import { RunReconcileTimer } from './processors/run-reconcile.timer';
import { TensorBackendInitializer } from './tensor-backend.initializer';

/** Job handlers plus one BullMQ processor per queue this process consumes (WORKER_QUEUES). */
@Module({})
export class WorkerModule {
  static forRoot(worker: AppConfig['worker']): DynamicModule {
    return {
      module: WorkerModule,
      imports: [DiscoveryModule, RunsModule],
      providers: [
        { provide: CONSUMED_QUEUES, useValue: worker.queues },
        JobHandlerRegistry,
        TensorBackendInitializer,
        { provide: MODEL_CACHE_CAPACITY, useValue: worker.modelCacheSize },
        WorkerInference,
        ModelCache,
        RunEvaluator,
        GenerateRunHandlers,
        ScheduleHandlers,
        TrainHandlers,
        EvaluateHandlers,
        RunReconciler,
        RunReconcileTimer,
        ...worker.queues.map((queue) => queueProcessorFor(queue, worker)),
      ],
    };
  }
}
