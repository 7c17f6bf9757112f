import { Processor } from '@nestjs/bullmq';
import type { Type } from '@nestjs/common';
import type { QueueName } from '@maskgen/contracts';
import { bullWorkerOptions, type LockTimingOverrides } from '@maskgen/queues';
import { QueueProcessor } from './queue-processor';

/**
 * The processor of one queue, with that queue's worker options (concurrency,
 * lock duration, stalled checks; libs/queues/src/worker-options.ts) and the
 * configured overrides. A class per call, because BullMQ reads the options
 * from the class's decorator metadata and two apps in one process (tests)
 * may be configured differently.
 */
export function queueProcessorFor(queue: QueueName, timing: LockTimingOverrides): Type<QueueProcessor> {
  class ConfiguredQueueProcessor extends QueueProcessor {
    protected readonly queue = queue;
  }
  Object.defineProperty(ConfiguredQueueProcessor, 'name', {
    value: `${queue[0].toUpperCase()}${queue.slice(1)}QueueProcessor`,
  });
  // autorun off: QueueProcessor starts the worker once the app is bootstrapped (see there).
  Processor(queue, { ...bullWorkerOptions(queue, timing), autorun: false })(ConfiguredQueueProcessor);
  return ConfiguredQueueProcessor;
}
