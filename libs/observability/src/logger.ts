import type { AppConfig } from '@maskgen/config';
import pino, { type Logger } from 'pino';

/** The process's root logger: JSON lines on stdout, one per event, with a `service` field. */
export function createRootLogger(config: AppConfig, service: string): Logger {
  return pino({
    level: config.log.level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
