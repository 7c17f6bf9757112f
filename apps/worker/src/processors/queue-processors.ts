import { Processor } from '@nestjs/bullmq';
import { QueueName } from '@maskgen/contracts';
import { QUEUE_WORKER_OPTIONS } from '@maskgen/queues';
import type { Provider } from '@nestjs/common';
import { QueueProcessor } from './queue-processor';

function workerOptions(queue: QueueName) {
  const options = QUEUE_WORKER_OPTIONS[queue];
  return {
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    maxStalledCount: options.maxStalledCount,
  };
}

@Processor(QueueName.Train, workerOptions(QueueName.Train))
export class TrainQueueProcessor extends QueueProcessor {
  protected readonly queue = QueueName.Train;
}

@Processor(QueueName.Generate, workerOptions(QueueName.Generate))
export class GenerateQueueProcessor extends QueueProcessor {
  protected readonly queue = QueueName.Generate;
}

@Processor(QueueName.Evaluate, workerOptions(QueueName.Evaluate))
export class EvaluateQueueProcessor extends QueueProcessor {
  protected readonly queue = QueueName.Evaluate;
}

/** One processor class per queue; a Record so a new queue without a processor is a type error. */
export const QUEUE_PROCESSORS: Record<QueueName, Provider> = {
  [QueueName.Train]: TrainQueueProcessor,
  [QueueName.Generate]: GenerateQueueProcessor,
  [QueueName.Evaluate]: EvaluateQueueProcessor,
};
