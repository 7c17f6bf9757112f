import type { Logger } from 'pino';

/**
 * On SIGINT/SIGTERM (or the returned trigger) runs `stop` once (closing HTTP, draining workers), and
 * exits. If stopping takes longer than `timeoutMs` the process exits anyway,
 * so an orchestrator's grace period is never overrun silently.
 */
export function shutdownOnSignals(
  logger: Logger,
  timeoutMs: number,
  stop: () => Promise<void>,
): (reason: string) => void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Ctrl-C also reaches a local embedded PostgreSQL (same process group), which then
    // terminates our connections mid-shutdown; that is expected, not a crash.
    process.on('uncaughtException', (error: NodeJS.ErrnoException) => {
      if (error.code === '57P01' || error.code === 'ECONNRESET' || error.code === 'EPIPE') {
        logger.debug({ code: error.code }, 'connection closed during shutdown');
        return;
      }
      logger.fatal({ err: error }, 'uncaught exception during shutdown');
      process.exit(1);
    });
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return onSignal;
}
