import type {
  NewSample,
  NewScoredSample,
  RunEntity,
  RunStatus,
  ShardCompletion,
  ShardEntity,
  ShardStatus,
} from '@maskgen/persistence';

/** Injection token of the RunStore RunLifecycle works on (RunRepository in the services). */
export const RUN_STORE = Symbol('RUN_STORE');

export type FinishedRunStatus = Extract<RunStatus, 'succeeded' | 'failed' | 'cancelled'>;

/** Where a shard is planned to sample from: what a re-enqueued shard job carries. */
export type ShardPlan = Pick<ShardEntity, 'shardIndex' | 'sampleOffset' | 'sampleCount' | 'seed'>;

/** What became of a stranded run (RunStore.recover). */
export type StrandedRecovery =
  | { action: 'requeue'; flowTag: string; shards: ShardPlan[] }
  | { action: 'failed' }
  | { action: 'unchanged' };

/**
 * The state RunLifecycle reads and writes: each method is one atomic step (one statement or one transaction in
 * PostgreSQL). RunRepository implements it; the lifecycle tests use an in-memory one with the same semantics.
 */
export interface RunStore {
  findById(runId: string): Promise<Pick<RunEntity, 'id' | 'status'> | null>;
  /** Queued or running → running; false (and no change) once the run finished. */
  markRunning(runId: string): Promise<boolean>;
  /** The shard → running, attempts + 1; false (and no change) if it already succeeded. */
  beginShard(runId: string, shardIndex: number): Promise<boolean>;
  /** How far a running shard's attempt has got (0..1), and the open run's progress refreshed from it. */
  recordShardProgress(runId: string, shardIndex: number, fraction: number): Promise<void>;
  /**
   * Samples, shard status, counters and run progress in one transaction; nothing twice. onStored hears how many
   * samples are written so far, while the transaction is still open.
   */
  completeShard(
    runId: string,
    shardIndex: number,
    samples: (NewSample | NewScoredSample)[],
    onStored?: (stored: number) => Promise<void>,
  ): Promise<ShardCompletion>;
  /** Settles a shard that has not succeeded, and refreshes the run's progress from the shard rows. */
  finishShard(
    runId: string,
    shardIndex: number,
    status: Extract<ShardStatus, 'failed' | 'cancelled'>,
    error?: string,
  ): Promise<void>;
  /** Finishes an open run; a finished run is left as it is. */
  finish(runId: string, status: FinishedRunStatus, error?: string): Promise<void>;
  shardStatusCounts(runId: string): Promise<Record<ShardStatus, number>>;
  /** Cancels an open run and its open shards; false if it had finished. */
  cancel(runId: string): Promise<boolean>;
  /** A failed run → queued with its unsucceeded shards queued (returned); null unless it was failed. */
  reopenFailedShards(runId: string): Promise<ShardPlan[] | null>;
  /**
   * An open run whose flow `expectedTag` has no live job: its unsucceeded shards → queued under a new flow tag
   * (recoveries + 1), or the run and its open shards → failed once `maxRecoveries` were spent. Unchanged if the
   * run finished or got another flow meanwhile (a retry, another reconciler pass).
   */
  recover(runId: string, expectedTag: string, maxRecoveries: number): Promise<StrandedRecovery>;
}
