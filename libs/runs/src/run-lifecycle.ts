import { Inject, Injectable } from '@nestjs/common';
import type { NewSample, NewScoredSample, RunEntity, RunStatus, ShardStatus } from '@maskgen/persistence';
import { UnrecoverableError } from 'bullmq';
import { judgeFailure, type Attempt } from './failure-policy';
import { RUN_STORE, type RunStore, type ShardPlan, type StrandedRecovery } from './run-store';

export interface ShardKey {
  runId: string;
  shardIndex: number;
}

/** What a shard job did: rows it stored, or skipped (run finished, shard done elsewhere, cancelled). */
export interface ShardResult {
  inserted: number;
  skipped: boolean;
}

/**
 * How a shard's progress splits between drawing its samples (share `sampled`) and storing them (the rest): model
 * sampling dominates a model shard, storing dominates a synthetic one.
 */
export interface ShardProgressShares {
  sampled: number;
}

/** Whether a shard job should sample, and if not why. */
export type ShardStart = { sample: true } | { sample: false; reason: string };

/** How the finalising job left the run. */
export interface RunSettlement {
  counts: Record<ShardStatus, number>;
  /** The run's status after settling (a run cancelled meanwhile stays cancelled). */
  status: RunStatus;
}

/** A transition the run's state does not allow (the API answers 409). */
export class RunTransitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunTransitionError';
  }
}

/** Times a stranded run is queued again for want of a live job before it is failed instead. */
export const MAX_RUN_RECOVERIES = 3;

/**
 * The one place that decides a run's state: which transitions happen when a shard starts, completes or fails, when
 * the run is settled, cancelled or retried, and what follow-up work a retry brings. Job handlers sample and report
 * outcomes here; the queues only carry jobs. Every step is one atomic RunStore call, so two workers racing on a
 * shard (a takeover after a crash, a duplicate job) converge: a shard's samples are stored and counted once.
 */
@Injectable()
export class RunLifecycle {
  constructor(@Inject(RUN_STORE) private readonly store: RunStore) {}

  /** Opens the run (queued → running) and the shard for one more attempt, unless there is nothing left to do. */
  async beginShard({ runId, shardIndex }: ShardKey): Promise<ShardStart> {
    const run = await this.store.findById(runId);
    if (!run) throw new UnrecoverableError(`Run ${runId} does not exist`);
    if (!(await this.store.markRunning(runId))) {
      // Nothing will run this shard under the finished run (a retry reopens it): it is not left queued, nor running
      // from an earlier attempt of this job that met a transient error.
      const status = (await this.store.findById(runId))?.status ?? run.status;
      await this.store.finishShard(
        runId,
        shardIndex,
        status === 'cancelled' ? 'cancelled' : 'failed',
        `not run: the run is ${status}`,
      );
      return { sample: false, reason: `run already ${status}` };
    }
    if (!(await this.store.beginShard(runId, shardIndex))) {
      return { sample: false, reason: 'shard already succeeded' };
    }
    return { sample: true };
  }

  /** Stores every sample of the shard and marks it succeeded, at once; a second completion changes nothing. */
  async completeShard(
    { runId, shardIndex }: ShardKey,
    samples: (NewSample | NewScoredSample)[],
    progress: ShardProgressShares = { sampled: 1 },
    onProgress?: (fraction: number) => Promise<void>,
  ): Promise<ShardResult> {
    const { inserted, duplicate } = await this.store.completeShard(
      runId,
      shardIndex,
      samples,
      async (stored) => {
        const fraction = progress.sampled + (1 - progress.sampled) * (stored / Math.max(samples.length, 1));
        await this.store.recordShardProgress(runId, shardIndex, fraction);
        await onProgress?.(fraction);
      },
    );
    return { inserted, skipped: duplicate };
  }

  /**
   * How far a shard's attempt has got while it samples (fraction of its samples drawn), scaled to the sampling
   * share of its work: the run's progress moves inside a shard, before anything is stored.
   */
  async shardSampled(
    { runId, shardIndex }: ShardKey,
    fraction: number,
    progress: ShardProgressShares,
  ): Promise<void> {
    await this.store.recordShardProgress(runId, shardIndex, progress.sampled * fraction);
  }

  /**
   * A shard job threw: records what the failure policy (judgeFailure) says. Returns for a cancel; otherwise
   * rethrows, after failing the shard and its run when the job fails for good.
   */
  async shardFailed({ runId, shardIndex }: ShardKey, error: unknown, attempt: Attempt): Promise<ShardResult> {
    const verdict = judgeFailure(error, attempt);
    if (verdict.kind === 'cancelled') {
      await this.store.finishShard(runId, shardIndex, 'cancelled');
      return { inserted: 0, skipped: true };
    }
    if (verdict.kind === 'fail') {
      await this.store.finishShard(runId, shardIndex, 'failed', verdict.message);
      await this.store.finish(runId, 'failed', `shard ${shardIndex}: ${verdict.message}`);
    }
    throw verdict.rethrow;
  }

  /**
   * After every shard job ended: the run succeeds if all its shards did (or stays running for its evaluation job),
   * else fails. A run finished meanwhile (cancelled during the finalise) keeps its status.
   */
  async settle(runId: string, evaluationFollows: boolean): Promise<RunSettlement> {
    const counts = await this.store.shardStatusCounts(runId);
    const unfinished = counts.queued + counts.running + counts.failed + counts.cancelled;
    if (unfinished > 0) {
      await this.store.finish(runId, 'failed', `${unfinished} shard(s) did not succeed`);
    } else if (!evaluationFollows) {
      await this.store.finish(runId, 'succeeded');
    }
    const run = await this.store.findById(runId);
    if (!run) throw new UnrecoverableError(`Run ${runId} does not exist`);
    return { counts, status: run.status };
  }

  /** An evaluation job starts: false if its run finished (e.g. cancelled), so it does nothing. */
  beginEvaluation(runId: string): Promise<boolean> {
    return this.store.markRunning(runId);
  }

  async evaluationSucceeded(runId: string): Promise<void> {
    await this.store.finish(runId, 'succeeded');
  }

  /** An evaluation job threw: fails the run when the policy says so; returns only for a cancel. */
  async evaluationFailed(runId: string, error: unknown, attempt: Attempt): Promise<'cancelled'> {
    const verdict = judgeFailure(error, attempt);
    if (verdict.kind === 'cancelled') return 'cancelled';
    if (verdict.kind === 'fail') await this.store.finish(runId, 'failed', `evaluation: ${verdict.message}`);
    throw verdict.rethrow;
  }

  /** Cancels an open run with its open shards; stored samples stay. */
  async cancel(run: Pick<RunEntity, 'id' | 'status'>): Promise<void> {
    if (!(await this.store.cancel(run.id))) {
      throw new RunTransitionError(
        `Run is already ${run.status}; only queued or running runs can be cancelled`,
      );
    }
  }

  /** Whether a run may be retried (checked before anything is changed, e.g. before checking the queue). */
  assertRetryable(run: Pick<RunEntity, 'kind' | 'status'>): void {
    if (run.kind !== 'generate' || run.status !== 'failed') {
      throw new RunTransitionError(`Run is ${run.status}; only failed generation runs can be retried`);
    }
  }

  /**
   * Reopens a failed run: its shards that did not succeed are queued again and returned, for the caller to enqueue
   * with the run's settling jobs (none when every shard succeeded, e.g. its evaluation failed).
   */
  async retry(run: Pick<RunEntity, 'id' | 'kind' | 'status'>): Promise<ShardPlan[]> {
    this.assertRetryable(run);
    const shards = await this.store.reopenFailedShards(run.id);
    // Another retry got there between the caller's read and the reopen: its jobs are enqueued once.
    if (shards === null) throw new RunTransitionError('Run is no longer failed; it was retried concurrently');
    return shards;
  }

  /**
   * A run with no live job left (its jobs failed while the database was down, were never added, or the queue lost
   * them) gets its unfinished work queued again under a new flow, MAX_RUN_RECOVERIES times at most; then it fails.
   */
  recoverStranded(run: Pick<RunEntity, 'id' | 'flowTag'>): Promise<StrandedRecovery> {
    return this.store.recover(run.id, run.flowTag, MAX_RUN_RECOVERIES);
  }
}
