import { Inject, Injectable } from '@nestjs/common';
import { ROOT_LOGGER } from '@maskgen/observability';
import { RunRepository } from '@maskgen/persistence';
import type { Logger } from 'pino';
import { ProgressPublisher } from './events/progress-publisher';
import { GenerationRunStarter } from './generation-run.starter';
import { JobQueueRepository } from './job-queue.repository';

/** Times a run is re-enqueued for want of a live job before it is failed instead. */
export const MAX_RUN_RECOVERIES = 3;

export interface ReconcileSummary {
  checked: number;
  requeued: string[];
  failed: string[];
}

/**
 * Makes every open generation run converge: a run whose flow has no live job left (its jobs
 * failed while the database was down, so nothing marked the run; its jobs were never added; the
 * queue lost them) gets its unfinished shards enqueued again under a new flow, or is failed after
 * MAX_RUN_RECOVERIES. One process at a time (advisory lock); runs whose flow is younger than
 * `graceMs` are left alone, so a flow being added is never taken for a lost one.
 */
@Injectable()
export class RunReconciler {
  constructor(
    private readonly runs: RunRepository,
    private readonly jobs: JobQueueRepository,
    private readonly starter: GenerationRunStarter,
    private readonly progress: ProgressPublisher,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** One pass; undefined when another process holds the reconciler lock. */
  async reconcileOnce(graceMs: number): Promise<ReconcileSummary | undefined> {
    return this.runs.reconcileExclusively(async () => {
      const summary: ReconcileSummary = { checked: 0, requeued: [], failed: [] };
      for (const candidate of await this.runs.reconcileCandidates(graceMs)) {
        summary.checked++;
        const root = this.starter.rootJob(candidate, candidate.flowTag);
        if (await this.jobs.isLive(root.name, root.jobId)) continue;
        const outcome = await this.runs.recover(candidate.id, candidate.flowTag, MAX_RUN_RECOVERIES);
        const log = this.logger.child({ runId: candidate.id, flowTag: candidate.flowTag });
        if (outcome.action === 'requeue') {
          const priority = typeof outcome.run.params.priority === 'number' ? outcome.run.params.priority : 5;
          await this.starter.enqueue(outcome.run, outcome.shards, priority, outcome.flowTag);
          log.warn(
            { shards: outcome.shards.length, newFlowTag: outcome.flowTag },
            'run had no live job; re-enqueued',
          );
          summary.requeued.push(candidate.id);
        } else if (outcome.action === 'failed') {
          log.error({ recoveries: candidate.recoveries }, 'run had no live job and no recovery left; failed');
          summary.failed.push(candidate.id);
        }
        if (outcome.action !== 'unchanged') await this.progress.runChanged(candidate.id);
      }
      return summary;
    });
  }
}
