import type { AppConfig } from '@maskgen/config';
import { createPostgresBackend, setDefaultBackendFactory, type ConnectionOptions } from 'bullmq';

export type QueueBackendKind = 'redis' | 'postgres';

export interface QueueConnection {
  kind: QueueBackendKind;
  connection: ConnectionOptions;
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
    return { kind: 'redis', connection: { url: config.queue.redisUrl, maxRetriesPerRequest: null } };
  }
  if (!databaseUrl) {
    throw new Error('A queue backend needs REDIS_URL or DATABASE_URL');
  }
  setDefaultBackendFactory(createPostgresBackend);
  return {
    kind: 'postgres',
    connection: { connectionString: databaseUrl, schema: config.queue.postgresSchema, migrate: true, max: 5 },
  };
}
