import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@maskgen/config';
import { QueueName } from '@maskgen/contracts';
import { ROOT_LOGGER } from '@maskgen/observability';
import { RunReconciler } from '@maskgen/runs';
import type { Logger } from 'pino';

/**
 * Runs the RunReconciler when a generate worker starts and then every WORKER_RECONCILE_INTERVAL_MS
 * (the lock inside lets one worker at a time do it). A failed pass (database down) is logged and
 * simply tried again at the next tick.
 */
@Injectable()
export class RunReconcileTimer implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> = Promise.resolve();

  constructor(
    private readonly reconciler: RunReconciler,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.worker.queues.includes(QueueName.Generate)) return;
    const intervalMs = this.config.worker.reconcileIntervalMs;
    const tick = () => {
      this.pass = this.pass.then(() =>
        this.reconciler.reconcileOnce(intervalMs).then(
          (summary) => {
            if (summary && (summary.requeued.length > 0 || summary.failed.length > 0)) {
              this.logger.info(summary, 'runs reconciled');
            }
          },
          (error: unknown) => this.logger.warn({ err: error }, 'run reconciliation failed; retried later'),
        ),
      );
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.pass;
  }
}
