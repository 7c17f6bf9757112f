import type { AppConfig } from '@maskgen/config';
import { createPostgresBackend, setDefaultBackendFactory, type ConnectionOptions } from 'bullmq';
import { QUEUE_COMMAND_TIMEOUT_MS } from './queue-unavailable';

export type QueueBackendKind = 'redis' | 'postgres';

export interface QueueConnection {
  kind: QueueBackendKind;
  /** Workers' connection: waits out a Redis outage (blocking commands, commands queued while reconnecting). */
  connection: ConnectionOptions;
  /**
   * Producers' connection (adding jobs, schedulers, queue queries): fails at once while Redis is unreachable
   * instead of queueing the command until it is back, so a request is answered 503 rather than hanging.
   */
  producerConnection: ConnectionOptions;
}

/**
 * The single place that chooses where BullMQ keeps its queues: Redis when a
 * REDIS_URL is configured, otherwise BullMQ's PostgreSQL backend in its own
 * schema of the application database. Everything above this is identical.
 *
 * It sets BullMQ's process-wide default backend, so it must run before any
 * Queue, Worker or QueueEvents is constructed.
 */
export function configureQueueBackend(config: AppConfig, databaseUrl: string | undefined): QueueConnection {
  if (config.queue.redisUrl) {
    setDefaultBackendFactory(undefined);
    // Workers block on Redis; ioredis must not give up on a blocking command.
    return {
      kind: 'redis',
      connection: { url: config.queue.redisUrl, maxRetriesPerRequest: null },
      producerConnection: {
        url: config.queue.redisUrl,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        commandTimeout: QUEUE_COMMAND_TIMEOUT_MS,
      },
    };
  }
  if (!databaseUrl) {
    throw new Error('A queue backend needs REDIS_URL or DATABASE_URL');
  }
  setDefaultBackendFactory(createPostgresBackend);
  const connection = {
    connectionString: databaseUrl,
    schema: config.queue.postgresSchema,
    migrate: true,
    max: 5,
  };
  // A database outage already fails fast (and answers 503, libs/runtime UnavailableFilter).
  return { kind: 'postgres', connection, producerConnection: connection };
}
