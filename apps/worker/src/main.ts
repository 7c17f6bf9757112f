import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { loadConfigOrExit, requireDatabaseUrl } from '@maskgen/config';
import { createRootLogger } from '@maskgen/observability';
import { CoreModule, createHttpApp, listen, shutdownOnSignals } from '@maskgen/runtime';
import { JobQueueRepository } from '@maskgen/queues';
import type { QueueName } from '@maskgen/contracts';
import { WorkerModule } from './worker.module';

/**
 * Production shape: a worker consuming WORKER_QUEUES. It serves only the
 * health endpoints over HTTP, for the orchestrator's probes.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const databaseUrl = requireDatabaseUrl(config);
  const logger = createRootLogger(config, 'worker');
  @Module({
    imports: [
      CoreModule.forRoot({ config, databaseUrl, logger, applicationName: 'maskgen-worker' }),
      WorkerModule.forRoot(config.worker),
    ],
  })
  class WorkerRootModule {}
  const app = await createHttpApp({ module: WorkerRootModule });
  const url = await listen(app, config);
  logger.info({ url, queues: config.worker.queues }, 'maskgen worker running');
  const shutdown = shutdownOnSignals(logger, config.worker.shutdownTimeoutMs, () => app.close());
  // Forked by local mode (apps/local): when the parent is gone, even killed (maybe while this one
  // was still starting), stop instead of lingering.
  if (process.send) {
    if (process.connected) process.once('disconnect', () => shutdown('parent exited'));
    else shutdown('parent exited');
  }
  if (config.worker.exitWhenIdleMs > 0) {
    exitWhenIdle(app.get(JobQueueRepository), config.worker.queues, config.worker.exitWhenIdleMs, () =>
      shutdown('idle'),
    );
  }
}

/**
 * Run-to-completion workers (a KEDA ScaledJob's pods) exit once their queues
 * have had nothing waiting, delayed or active for `idleMs`, so the pod
 * completes and frees its GPU.
 */
function exitWhenIdle(
  jobs: JobQueueRepository,
  queues: readonly QueueName[],
  idleMs: number,
  exit: () => void,
) {
  let idleSince = Date.now();
  const timer = setInterval(
    () => {
      Promise.all(queues.map((queue) => jobs.counts(queue))).then(
        (counts) => {
          const pending = counts.reduce(
            (sum, c) => sum + c.waiting + c.prioritized + c.delayed + c.active,
            0,
          );
          if (pending > 0) idleSince = Date.now();
          else if (Date.now() - idleSince >= idleMs) {
            clearInterval(timer);
            exit();
          }
        },
        () => undefined,
      );
    },
    Math.min(5000, idleMs),
  );
  timer.unref();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `maskgen worker failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
