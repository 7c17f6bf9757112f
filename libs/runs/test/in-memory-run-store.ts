import type {
  NewSample,
  NewScoredSample,
  RunStatus,
  ShardCompletion,
  ShardStatus,
} from '@maskgen/persistence';
import type { FinishedRunStatus, RunStore, ShardPlan, StrandedRecovery } from '../src/run-store';

interface MemoryRun {
  id: string;
  status: RunStatus;
  progress: number;
  error: string | null;
  flowTag: string;
  recoveries: number;
}

interface MemoryShard extends ShardPlan {
  status: ShardStatus;
  attempts: number;
  samplesStored: number;
  progress: number;
  error: string | null;
}

const OPEN: RunStatus[] = ['queued', 'running'];

/**
 * RunStore in memory with RunRepository's semantics, each method one atomic step as its transaction is. The same
 * scenarios run against both (lifecycle-scenarios.ts), so this one cannot drift from PostgreSQL unnoticed.
 */
export class InMemoryRunStore implements RunStore {
  private readonly runs = new Map<string, MemoryRun>();
  private readonly shards = new Map<string, MemoryShard[]>();
  /** Stored samples by `run/shard/index`. */
  readonly samples = new Map<string, NewSample>();
  private nextId = 0;

  createRun(plans: ShardPlan[]): string {
    const id = `run-${++this.nextId}`;
    this.runs.set(id, { id, status: 'queued', progress: 0, error: null, flowTag: 'a', recoveries: 0 });
    this.shards.set(
      id,
      plans.map((plan) => ({
        ...plan,
        status: 'queued',
        attempts: 0,
        samplesStored: 0,
        progress: 0,
        error: null,
      })),
    );
    return id;
  }

  run(runId: string): Readonly<MemoryRun> {
    return this.mustRun(runId);
  }

  shardsOf(runId: string): readonly Readonly<MemoryShard>[] {
    return this.shards.get(runId) ?? [];
  }

  findById(runId: string): Promise<{ id: string; status: RunStatus } | null> {
    const run = this.runs.get(runId);
    return Promise.resolve(run ? { id: run.id, status: run.status } : null);
  }

  markRunning(runId: string): Promise<boolean> {
    const run = this.runs.get(runId);
    if (!run || !OPEN.includes(run.status)) return Promise.resolve(false);
    run.status = 'running';
    return Promise.resolve(true);
  }

  beginShard(runId: string, shardIndex: number): Promise<boolean> {
    const shard = this.shard(runId, shardIndex);
    if (shard.status === 'succeeded') return Promise.resolve(false);
    Object.assign(shard, { status: 'running', attempts: shard.attempts + 1, error: null, progress: 0 });
    return Promise.resolve(true);
  }

  recordShardProgress(runId: string, shardIndex: number, fraction: number): Promise<void> {
    const shard = this.shard(runId, shardIndex);
    if (shard.status === 'running') shard.progress = Math.max(0, Math.min(1, fraction));
    const run = this.mustRun(runId);
    if (OPEN.includes(run.status)) this.refreshProgress(runId);
    return Promise.resolve();
  }

  async completeShard(
    runId: string,
    shardIndex: number,
    samples: (NewSample | NewScoredSample)[],
    onStored?: (stored: number) => Promise<void>,
  ): Promise<ShardCompletion> {
    const shard = this.shard(runId, shardIndex);
    if (shard.status === 'succeeded') return { inserted: 0, duplicate: true };
    let inserted = 0;
    for (const sample of samples) {
      // The samples' primary key in PostgreSQL: an index is stored once per run, whichever shard brings it.
      const key = `${sample.runId}/${sample.sampleIndex}`;
      if (this.samples.has(key)) continue;
      this.samples.set(key, sample);
      this.shard(sample.runId, sample.shardIndex).samplesStored++;
      inserted++;
    }
    await onStored?.(samples.length);
    // Like the PostgreSQL transaction: the shard's status is read again, under its lock, after the insert.
    // (TypeScript narrowed the status before the await; another completion may have changed it since.)
    if ((shard.status as ShardStatus) === 'succeeded') return { inserted, duplicate: true };
    Object.assign(shard, { status: 'succeeded', error: null });
    this.refreshProgress(runId);
    return { inserted, duplicate: false };
  }

  finishShard(
    runId: string,
    shardIndex: number,
    status: Extract<ShardStatus, 'failed' | 'cancelled'>,
    error?: string,
  ): Promise<void> {
    const shard = this.shard(runId, shardIndex);
    if (shard.status !== 'succeeded') Object.assign(shard, { status, error: error ?? null });
    this.refreshProgress(runId);
    return Promise.resolve();
  }

  finish(runId: string, status: FinishedRunStatus, error?: string): Promise<void> {
    const run = this.mustRun(runId);
    if (OPEN.includes(run.status)) {
      Object.assign(run, { status, error: error ?? null }, status === 'succeeded' ? { progress: 1 } : {});
    }
    return Promise.resolve();
  }

  shardStatusCounts(runId: string): Promise<Record<ShardStatus, number>> {
    const counts: Record<ShardStatus, number> = {
      queued: 0,
      running: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
    };
    for (const shard of this.shardsOf(runId)) counts[shard.status]++;
    return Promise.resolve(counts);
  }

  cancel(runId: string): Promise<boolean> {
    const run = this.mustRun(runId);
    if (!OPEN.includes(run.status)) return Promise.resolve(false);
    run.status = 'cancelled';
    for (const shard of this.shards.get(runId) ?? []) {
      if (shard.status === 'queued' || shard.status === 'running') shard.status = 'cancelled';
    }
    return Promise.resolve(true);
  }

  reopenFailedShards(runId: string): Promise<ShardPlan[] | null> {
    const run = this.mustRun(runId);
    if (run.status !== 'failed') return Promise.resolve(null);
    Object.assign(run, { status: 'queued', error: null });
    const reopened = (this.shards.get(runId) ?? []).filter((shard) => shard.status !== 'succeeded');
    for (const shard of reopened) {
      const stored = [...this.samples.values()].filter(
        (sample) => sample.runId === runId && sample.shardIndex === shard.shardIndex,
      ).length;
      Object.assign(shard, { status: 'queued', error: null, samplesStored: stored, progress: 0 });
    }
    return Promise.resolve(
      reopened.map(({ shardIndex, sampleOffset, sampleCount, seed }) => ({
        shardIndex,
        sampleOffset,
        sampleCount,
        seed,
      })),
    );
  }

  recover(runId: string, expectedTag: string, maxRecoveries: number): Promise<StrandedRecovery> {
    const run = this.runs.get(runId);
    if (!run || !OPEN.includes(run.status) || run.flowTag !== expectedTag) {
      return Promise.resolve({ action: 'unchanged' });
    }
    const shards = this.shards.get(runId) ?? [];
    if (run.recoveries >= maxRecoveries) {
      for (const shard of shards.filter((candidate) => OPEN.includes(candidate.status))) {
        Object.assign(shard, { status: 'failed', error: 'no job left to run it' });
      }
      Object.assign(run, {
        status: 'failed',
        error: `no job left to run the run after ${run.recoveries} recoveries`,
      });
      return Promise.resolve({ action: 'failed' });
    }
    Object.assign(run, { recoveries: run.recoveries + 1, flowTag: `c${run.recoveries + 1}` });
    const reopened = shards.filter((shard) => shard.status !== 'succeeded');
    for (const shard of reopened) Object.assign(shard, { status: 'queued', error: null, progress: 0 });
    return Promise.resolve({
      action: 'requeue',
      flowTag: run.flowTag,
      shards: reopened.map(({ shardIndex, sampleOffset, sampleCount, seed }) => ({
        shardIndex,
        sampleOffset,
        sampleCount,
        seed,
      })),
    });
  }

  /** RunRepository's SHARD_PROGRESS_SQL: succeeded shards count 1, running ones their stored share. */
  private refreshProgress(runId: string): void {
    const shards = this.shards.get(runId) ?? [];
    const done = shards.reduce(
      (sum, shard) =>
        sum + (shard.status === 'succeeded' ? 1 : shard.status === 'running' ? shard.progress : 0),
      0,
    );
    this.mustRun(runId).progress = Math.min(1, done / Math.max(shards.length, 1));
  }

  private mustRun(runId: string): MemoryRun {
    const run = this.runs.get(runId);
    if (!run) throw new Error(`no run ${runId}`);
    return run;
  }

  private shard(runId: string, shardIndex: number): MemoryShard {
    const shard = this.shards.get(runId)?.find((candidate) => candidate.shardIndex === shardIndex);
    if (!shard) throw new Error(`no shard ${runId}/${shardIndex}`);
    return shard;
  }
}
