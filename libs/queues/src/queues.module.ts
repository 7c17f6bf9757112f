import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { type DynamicModule, Module } from '@nestjs/common';
import { QUEUE_NAMES, QueueName } from '@maskgen/contracts';
import type { AppConfig } from '@maskgen/config';
import { ROOT_LOGGER } from '@maskgen/observability';
import type { Logger } from 'pino';
import { EventBus, InProcessEventBus, ParentRelayEventBus, RedisEventBus } from './events/event-bus';
import { ProgressPublisher } from './events/progress-publisher';
import { EvaluationStarter } from './evaluation.starter';
import { GenerationRunStarter } from './generation-run.starter';
import { Queue } from 'bullmq';
import {
  JobQueueRepository,
  PRODUCER_QUEUES,
  RUN_FLOW_PRODUCER,
  type ProducerQueues,
} from './job-queue.repository';
import { ModelTrainingStarter } from './model-training.starter';
import { configureQueueBackend } from './queue-backend';
import { QUEUE_WORKER_OPTIONS } from './worker-options';

export const QUEUE_BACKEND_KIND = Symbol('QUEUE_BACKEND_KIND');

@Module({})
export class QueuesModule {
  static forRoot(config: AppConfig, databaseUrl: string | undefined): DynamicModule {
    const backend = configureQueueBackend(config, databaseUrl);
    const jobDefaults = (name: QueueName) => ({
      attempts: QUEUE_WORKER_OPTIONS[name].attempts,
      backoff: { type: 'exponential', delay: QUEUE_WORKER_OPTIONS[name].backoffMs },
      // Keep finished jobs long enough to inspect, but do not let them pile up forever.
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
    return {
      module: QueuesModule,
      global: true,
      imports: [
        BullModule.forRoot({ connection: backend.connection, prefix: config.queue.prefix }),
        BullModule.registerQueue(
          ...QUEUE_NAMES.map((name) => ({
            name,
            defaultJobOptions: jobDefaults(name),
          })),
        ),
        // Flow producers only add jobs: the fail-fast producer connection.
        BullModule.registerFlowProducer({ name: RUN_FLOW_PRODUCER, connection: backend.producerConnection }),
      ],
      providers: [
        {
          // The registered queues' connection is the workers' (their Worker takes it), which waits out a Redis
          // outage; with Redis, producers get queues of their own on the fail-fast connection.
          provide: PRODUCER_QUEUES,
          inject: [ROOT_LOGGER, ...QUEUE_NAMES.map((name) => getQueueToken(name))],
          useFactory: (logger: Logger, ...registered: Queue[]): ProducerQueues => {
            const own = (name: QueueName) => {
              const queue = new Queue(name, {
                connection: backend.producerConnection,
                prefix: config.queue.prefix,
                defaultJobOptions: jobDefaults(name),
              });
              // Without a listener BullMQ prints every reconnect failure with console.error.
              queue.on('error', (error) =>
                logger.warn({ err: error, queue: name }, 'queue producer: Redis error'),
              );
              return queue;
            };
            return {
              owned: backend.kind === 'redis',
              queues: Object.fromEntries(
                QUEUE_NAMES.map((name, i) => [name, backend.kind === 'redis' ? own(name) : registered[i]]),
              ) as ProducerQueues['queues'],
            };
          },
        },
        JobQueueRepository,
        GenerationRunStarter,
        ModelTrainingStarter,
        EvaluationStarter,
        { provide: QUEUE_BACKEND_KIND, useValue: backend.kind },
        {
          // Redis when configured: API and workers are separate processes. Otherwise within this process,
          // and to the parent when forked (local mode's worker child, whose parent serves GET /events).
          provide: EventBus,
          inject: [ROOT_LOGGER],
          useFactory: (logger: Logger): EventBus =>
            config.queue.redisUrl
              ? new RedisEventBus(config.queue.redisUrl, `${config.queue.prefix}:events`, logger)
              : process.send
                ? new ParentRelayEventBus()
                : new InProcessEventBus(),
        },
        ProgressPublisher,
      ],
      exports: [
        BullModule,
        JobQueueRepository,
        GenerationRunStarter,
        ModelTrainingStarter,
        EvaluationStarter,
        QUEUE_BACKEND_KIND,
        EventBus,
        ProgressPublisher,
      ],
    };
  }
}
