import type { AppConfig } from '@maskgen/config';
import pino, { type Logger } from 'pino';

/**
 * pino's error serializer without a failed query's bound `parameters` (TypeORM's QueryFailedError carries them): a
 * failed sample insert logged its values blob as a JSON array, megabytes a line, and parameters may hold secrets.
 */
export function serializeError(error: Error): ReturnType<typeof pino.stdSerializers.err> {
  const serialized = pino.stdSerializers.err(error);
  delete serialized.parameters;
  return serialized;
}

/** The process's root logger: JSON lines on stdout, one per event, with a `service` field. */
export function createRootLogger(config: AppConfig, service: string): Logger {
  return pino({
    level: config.log.level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: serializeError },
  });
}
