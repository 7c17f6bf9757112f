import { Inject, Injectable } from '@nestjs/common';
import { ROOT_LOGGER } from '@maskgen/observability';
import { RunRepository, type ReconcileCandidate } from '@maskgen/persistence';
import {
  EvaluationStarter,
  GenerationRunStarter,
  JobQueueRepository,
  ProgressPublisher,
} from '@maskgen/queues';
import type { Logger } from 'pino';
import { RunLifecycle } from './run-lifecycle';

export interface ReconcileSummary {
  checked: number;
  requeued: string[];
  failed: string[];
}

/**
 * Makes every open run converge, generation runs and evaluations alike: a run whose current flow has no live job
 * left gets its unfinished work enqueued again under a new flow, or is failed (RunLifecycle.recoverStranded decides
 * which). One process at a time (advisory lock); runs whose flow is younger than `graceMs` are left alone, so a
 * flow being added is never taken for a lost one.
 */
@Injectable()
export class RunReconciler {
  constructor(
    private readonly runs: RunRepository,
    private readonly lifecycle: RunLifecycle,
    private readonly jobs: JobQueueRepository,
    private readonly generation: GenerationRunStarter,
    private readonly evaluation: EvaluationStarter,
    private readonly progress: ProgressPublisher,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** One pass; undefined when another process holds the reconciler lock. */
  async reconcileOnce(graceMs: number): Promise<ReconcileSummary | undefined> {
    return this.runs.reconcileExclusively(async () => {
      const summary: ReconcileSummary = { checked: 0, requeued: [], failed: [] };
      for (const candidate of await this.runs.reconcileCandidates(graceMs)) {
        summary.checked++;
        const root = this.rootJob(candidate);
        if (await this.jobs.isLive(root.name, root.jobId)) continue;
        const outcome = await this.lifecycle.recoverStranded(candidate);
        const log = this.logger.child({
          runId: candidate.id,
          kind: candidate.kind,
          flowTag: candidate.flowTag,
        });
        if (outcome.action === 'requeue') {
          if (candidate.kind === 'evaluate') await this.evaluation.enqueue(candidate, outcome.flowTag);
          else {
            const { priority } = candidate.params;
            await this.generation.enqueue(
              candidate,
              outcome.shards,
              typeof priority === 'number' ? priority : 5,
              outcome.flowTag,
            );
          }
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

  /** The job whose life the run's current flow hangs on. */
  private rootJob(candidate: ReconcileCandidate) {
    return candidate.kind === 'evaluate'
      ? this.evaluation.rootJob(candidate, candidate.flowTag)
      : this.generation.rootJob(candidate, candidate.flowTag);
  }
}
