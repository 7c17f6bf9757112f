import { Injectable } from '@nestjs/common';
import type { EngineProvenance } from '@maskgen/contracts';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { RunEntity, ShardEntity, type RunKind, type RunStatus, type ShardStatus } from '../entities';
import { storeSamples, type NewSample, type NewScoredSample } from './sample.repository';
import { statusOf } from './row-status';
import { teamPageNewestFirst } from './team-page';

export interface NewRun {
  teamId: string;
  modelId?: string | null;
  kind: RunKind;
  params: Record<string, unknown>;
  seed: number;
}

export interface NewShard {
  shardIndex: number;
  sampleOffset: number;
  sampleCount: number;
  seed: number;
}

const FINISHED: RunStatus[] = ['succeeded', 'failed', 'cancelled'];

/** pg advisory lock key of the run reconciler (any constant unique within the database). */
export const RECONCILE_LOCK_KEY = 0x6d67_7263; // 'mgrc'

/** What completing a shard did: the rows it inserted, or nothing because the shard had already succeeded. */
export interface ShardCompletion {
  inserted: number;
  duplicate: boolean;
}

/** A queued or running generation run whose current flow is old enough to be checked for live jobs. */
export type ReconcileCandidate = Pick<RunEntity, 'id' | 'kind' | 'params' | 'flowTag' | 'recoveries'>;

/** What the reconciler decided for a stranded run. */
export type RecoveryOutcome =
  | { action: 'requeue'; shards: ShardEntity[]; flowTag: string }
  | { action: 'failed' }
  | { action: 'unchanged' };

/**
 * Progress of run $1 from its shards: a succeeded shard counts 1, a running one the share of its samples already
 * stored, the others 0.
 */
const SHARD_PROGRESS_SQL = `LEAST(1, (
  SELECT COALESCE(sum(CASE
    WHEN s.status = 'succeeded' THEN 1
    WHEN s.status = 'running' THEN s.progress
    ELSE 0 END), 0)
  FROM shards s WHERE s.run_id = $1)::float8 / GREATEST(total_shards, 1))`;

@Injectable()
export class RunRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Creates a run and its shards in one transaction, so a run never exists half-planned. */
  async createWithShards(run: NewRun, shards: NewShard[]): Promise<RunEntity> {
    return this.dataSource.transaction(async (manager) => {
      const created = await manager.save(
        manager.create(RunEntity, { ...run, modelId: run.modelId ?? null, totalShards: shards.length }),
      );
      if (shards.length > 0) {
        await manager.insert(
          ShardEntity,
          shards.map((shard) => ({ ...shard, runId: created.id })),
        );
      }
      return created;
    });
  }

  findById(id: string): Promise<RunEntity | null> {
    return this.dataSource.getRepository(RunEntity).findOneBy({ id });
  }

  findShards(runId: string): Promise<ShardEntity[]> {
    return this.dataSource
      .getRepository(ShardEntity)
      .find({ where: { runId }, order: { shardIndex: 'ASC' } });
  }

  /** Moves a queued run to running; a run that already finished (e.g. cancelled) is left alone. */
  async markRunning(id: string): Promise<boolean> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(RunEntity)
      .set({ status: 'running', startedAt: () => 'COALESCE(started_at, now())' })
      .where('id = :id AND status IN (:...statuses)', { id, statuses: ['queued', 'running'] })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  async finish(id: string, status: Extract<RunStatus, 'succeeded' | 'failed' | 'cancelled'>, error?: string) {
    await this.dataSource
      .createQueryBuilder()
      .update(RunEntity)
      .set({
        status,
        error: error ?? null,
        finishedAt: () => 'now()',
        ...(status === 'succeeded' ? { progress: 1 } : {}),
      })
      .where('id = :id AND status NOT IN (:...finished)', { id, finished: FINISHED })
      .execute();
  }

  /**
   * Marks a shard running for one more attempt, unless it already succeeded (a zombie or a duplicate job
   * completed it): then it changes nothing and returns false, so the job does not run the shard again.
   */
  async beginShard(runId: string, shardIndex: number): Promise<boolean> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(ShardEntity)
      .set({
        status: 'running',
        attempts: () => 'attempts + 1',
        startedAt: () => 'now()',
        error: null,
        progress: 0,
      })
      .where(`run_id = :runId AND shard_index = :shardIndex AND status <> 'succeeded'`, { runId, shardIndex })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Completes a shard in one transaction: its samples (and critic scores), the shard's status and samples_stored,
   * and the run's progress. Idempotent: a shard that already succeeded stores nothing more (duplicate: true), and
   * rows already there are skipped. A worker killed before the commit leaves nothing of the shard behind, so a
   * shard's samples are either all stored and counted or not at all.
   */
  async completeShard(
    runId: string,
    shardIndex: number,
    samples: (NewSample | NewScoredSample)[],
    onStored?: (stored: number) => Promise<void>,
  ): Promise<ShardCompletion> {
    return this.dataSource.transaction(async (manager) => {
      const shardStatus = async (lock: boolean) =>
        (
          await manager.query<{ status: ShardStatus }[]>(
            `SELECT status FROM shards WHERE run_id = $1 AND shard_index = $2${lock ? ' FOR UPDATE' : ''}`,
            [runId, shardIndex],
          )
        )[0]?.status;
      if ((await shardStatus(false)) === 'succeeded') return { inserted: 0, duplicate: true };
      // The samples first, with no run or shard row locked: the insert is the long part, and a concurrent
      // completion of the same shard waits on the primary key (run_id, sample_index) instead, then finds every
      // row there (storeSamples inserts them again skipping those).
      const inserted = await storeSamples(manager, samples, onStored);
      // Run row before shard row, the order of cancel() and reopenFailedShards(). NO KEY UPDATE, not UPDATE: the
      // insert's foreign-key check holds KEY SHARE on the run row, and FOR UPDATE would wait on the KEY SHARE of
      // another shard's completion doing the same, a deadlock (test/run-lifecycle.test.ts, shards completing at once).
      await manager.query(`SELECT 1 FROM runs WHERE id = $1 FOR NO KEY UPDATE`, [runId]);
      const duplicate = (await shardStatus(true)) === 'succeeded';
      if (!duplicate) {
        await manager.query(
          `UPDATE shards SET status = 'succeeded', error = NULL, finished_at = now()
            WHERE run_id = $1 AND shard_index = $2`,
          [runId, shardIndex],
        );
      }
      await manager.query(`UPDATE runs SET progress = ${SHARD_PROGRESS_SQL} WHERE id = $1`, [runId]);
      return { inserted, duplicate };
    });
  }

  /**
   * Settles a shard and refreshes the run's progress from the shards that are done, in one
   * transaction. Idempotent: settling a shard twice (a takeover racing a completion) changes nothing.
   * A shard that succeeded stays succeeded: its samples are stored, whatever a slower attempt reports.
   */
  async finishShard(
    runId: string,
    shardIndex: number,
    status: Extract<ShardStatus, 'succeeded' | 'failed' | 'cancelled'>,
    error?: string,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // Lock the run row before the shard row, in the same order as cancel() and
      // reopenFailedShards(); the opposite order deadlocked with a concurrent cancel.
      await manager.query(`SELECT 1 FROM runs WHERE id = $1 FOR NO KEY UPDATE`, [runId]);
      await manager
        .createQueryBuilder()
        .update(ShardEntity)
        .set({ status, error: error ?? null, finishedAt: () => 'now()' })
        .where(`run_id = :runId AND shard_index = :shardIndex AND status <> 'succeeded'`, {
          runId,
          shardIndex,
        })
        .execute();
      // Derived from the shard rows whatever the run's status: a shard that completes after a cancel
      // or a failure still counts, so progress always matches the shard counts.
      await manager.query(`UPDATE runs SET progress = ${SHARD_PROGRESS_SQL} WHERE id = $1`, [runId]);
    });
  }

  async shardStatusCounts(runId: string): Promise<Record<ShardStatus, number>> {
    const rows = await this.dataSource
      .getRepository(ShardEntity)
      .createQueryBuilder('shard')
      .select('shard.status', 'status')
      .addSelect('count(*)::int', 'count')
      .where('shard.run_id = :runId', { runId })
      .groupBy('shard.status')
      .getRawMany<{ status: ShardStatus; count: number }>();
    const counts: Record<ShardStatus, number> = {
      queued: 0,
      running: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
    };
    for (const row of rows) counts[row.status] = row.count;
    return counts;
  }

  /** Samples a run has stored: the sum of its shards' counters (see SampleRepository), not a scan of samples. */
  async samplesStored(runId: string): Promise<number> {
    const [row] = await this.dataSource.query<{ stored: string }[]>(
      `SELECT COALESCE(sum(samples_stored), 0)::int8 AS stored FROM shards WHERE run_id = $1`,
      [runId],
    );
    return Number(row?.stored ?? 0);
  }

  findForTeam(id: string, teamId: string): Promise<RunEntity | null> {
    return this.dataSource.getRepository(RunEntity).findOneBy({ id, teamId });
  }

  listForTeam(
    teamId: string,
    filter: { status?: RunStatus; kind?: RunKind; modelId?: string },
    offset: number,
    limit: number,
  ): Promise<[RunEntity[], number]> {
    return teamPageNewestFirst(this.dataSource.getRepository(RunEntity), teamId, filter, offset, limit);
  }

  /** Runs of a team that are queued or running: what the per-team limit counts. */
  countActive(teamId: string): Promise<number> {
    return this.dataSource.getRepository(RunEntity).countBy({ teamId, status: In(['queued', 'running']) });
  }

  status(id: string): Promise<RunStatus | undefined> {
    return statusOf(this.dataSource.getRepository(RunEntity), id);
  }

  /** Cancels a run that has not finished; its unfinished shards are cancelled with it. Stored samples stay. */
  async cancel(id: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(RunEntity)
        .set({ status: 'cancelled', finishedAt: () => 'now()' })
        .where('id = :id AND status IN (:...open)', { id, open: ['queued', 'running'] })
        .execute();
      if ((result.affected ?? 0) === 0) return false;
      await manager
        .createQueryBuilder()
        .update(ShardEntity)
        .set({ status: 'cancelled', finishedAt: () => 'now()' })
        .where('run_id = :id AND status IN (:...open)', { id, open: ['queued', 'running'] })
        .execute();
      return true;
    });
  }

  /**
   * Puts a failed run's failed (and cancelled) shards back in the queue state and reopens the run.
   * Returns the shards to enqueue again (none when every shard had succeeded), or null when the run was not failed,
   * e.g. because a concurrent retry reopened it first: only one caller may enqueue its jobs.
   */
  async reopenFailedShards(id: string): Promise<ShardEntity[] | null> {
    return this.dataSource.transaction(async (manager) => {
      const reopened = await manager
        .createQueryBuilder()
        .update(RunEntity)
        // A fresh flow time keeps the reconciler off the run until the retry's flow is enqueued.
        .set({ status: 'queued', error: null, finishedAt: null, flowEnqueuedAt: () => 'now()' })
        .where(`id = :id AND status = 'failed'`, { id })
        .execute();
      if ((reopened.affected ?? 0) === 0) return null;
      await manager
        .createQueryBuilder()
        .update(ShardEntity)
        .set({ status: 'queued', error: null, finishedAt: null, progress: 0 })
        .where('run_id = :id AND status IN (:...retry)', {
          id,
          retry: ['failed', 'cancelled', 'queued', 'running'],
        })
        .execute();
      // The shards run again: their counters restart from the rows really there (rare, and a few shards). A
      // shard's samples are its index range, which the primary key (run_id, sample_index) reads directly.
      await manager.query(
        `UPDATE shards AS s SET samples_stored =
           (SELECT count(*) FROM samples
             WHERE run_id = s.run_id AND sample_index >= s.sample_offset
               AND sample_index < s.sample_offset + s.sample_count AND shard_index = s.shard_index)
         WHERE s.run_id = $1 AND s.status = 'queued'`,
        [id],
      );
      return manager.find(ShardEntity, {
        where: { runId: id, status: 'queued' },
        order: { shardIndex: 'ASC' },
      });
    });
  }

  /** Records the tag of the flow about to be enqueued for a run (see ReconcileCandidate). */
  async recordFlow(id: string, flowTag: string): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(RunEntity)
      .set({ flowTag, flowEnqueuedAt: () => 'now()' })
      .where('id = :id', { id })
      .execute();
  }

  /**
   * Runs `work` only if no other process is reconciling (a transaction-level advisory lock, released
   * when the transaction ends, also when the connection dies). Returns undefined when another holds it.
   */
  async reconcileExclusively<T>(work: () => Promise<T>): Promise<T | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const [row] = await manager.query<{ locked: boolean }[]>(
        'SELECT pg_try_advisory_xact_lock($1) AS locked',
        [RECONCILE_LOCK_KEY],
      );
      return row?.locked ? work() : undefined;
    });
  }

  /** Generation runs and evaluations still open whose current flow was enqueued more than `graceMs` ago. */
  async reconcileCandidates(graceMs: number, limit = 500): Promise<ReconcileCandidate[]> {
    return this.dataSource
      .getRepository(RunEntity)
      .createQueryBuilder('run')
      .select(['run.id', 'run.kind', 'run.params', 'run.flowTag', 'run.recoveries'])
      .where(`run.kind IN ('generate', 'evaluate') AND run.status IN ('queued', 'running')`)
      .andWhere(`run.flow_enqueued_at < now() - make_interval(secs => :graceSeconds)`, {
        graceSeconds: graceMs / 1000,
      })
      .orderBy('run.flow_enqueued_at', 'ASC')
      .limit(limit)
      .getMany();
  }

  /**
   * A run whose flow `expectedTag` has no live job: re-opens its unfinished shards under a new flow
   * tag (the caller enqueues them), or fails it once `maxRecoveries` were spent. Changes nothing if
   * the run finished or got another flow meanwhile (a retry, another reconciler pass).
   */
  async recover(id: string, expectedTag: string, maxRecoveries: number): Promise<RecoveryOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const run = await manager
        .getRepository(RunEntity)
        .createQueryBuilder('run')
        .setLock('pessimistic_write')
        .where(`run.id = :id AND run.status IN ('queued', 'running') AND run.flow_tag = :expectedTag`, {
          id,
          expectedTag,
        })
        .getOne();
      if (!run) return { action: 'unchanged' };
      if (run.recoveries >= maxRecoveries) {
        await manager
          .createQueryBuilder()
          .update(ShardEntity)
          .set({ status: 'failed', error: 'no job left to run it', finishedAt: () => 'now()' })
          .where(`run_id = :id AND status IN ('queued', 'running')`, { id })
          .execute();
        await manager
          .createQueryBuilder()
          .update(RunEntity)
          .set({
            status: 'failed',
            error: `no job left to run the run after ${run.recoveries} recoveries`,
            finishedAt: () => 'now()',
          })
          .where('id = :id', { id })
          .execute();
        return { action: 'failed' };
      }
      const flowTag = `c${run.recoveries + 1}`;
      await manager
        .createQueryBuilder()
        .update(RunEntity)
        .set({ recoveries: () => 'recoveries + 1', flowTag, flowEnqueuedAt: () => 'now()' })
        .where('id = :id', { id })
        .execute();
      await manager
        .createQueryBuilder()
        .update(ShardEntity)
        .set({ status: 'queued', error: null, finishedAt: null, progress: 0 })
        .where(`run_id = :id AND status <> 'succeeded'`, { id })
        .execute();
      const shards = await manager.find(ShardEntity, {
        where: { runId: id, status: 'queued' },
        order: { shardIndex: 'ASC' },
      });
      return { action: 'requeue', shards, flowTag };
    });
  }

  async deleteRuns(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.dataSource.getRepository(RunEntity).delete({ id: In(ids) });
  }

  /** Runs a team's schedule started, newest first. */
  listBySchedule(teamId: string, scheduleName: string, limit: number): Promise<RunEntity[]> {
    return this.dataSource
      .getRepository(RunEntity)
      .createQueryBuilder('run')
      .where('run.team_id = :teamId AND run.params @> :origin::jsonb', {
        teamId,
        origin: JSON.stringify({ schedule: scheduleName }),
      })
      .orderBy('run.created_at', 'DESC')
      .limit(limit)
      .getMany();
  }

  findManyForTeam(ids: string[], teamId: string): Promise<RunEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.dataSource.getRepository(RunEntity).findBy({ id: In(ids), teamId });
  }

  /**
   * Refreshes an active run's progress from its shards while they run (each stored chunk raises its shard's
   * samples_stored), so a one-shard run moves before its shard ends. One statement: it locks only the run row.
   */
  async refreshProgress(runId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE runs SET progress = ${SHARD_PROGRESS_SQL} WHERE id = $1 AND status IN ('queued', 'running') AND total_shards > 0`,
      [runId],
    );
  }

  /**
   * Records how far a running shard's attempt has got and refreshes its run's progress. Called on its own
   * connection while the shard's completing transaction inserts samples: that transaction holds no shard or run
   * row lock until its end (see completeShard), so this never waits on it.
   */
  async recordShardProgress(runId: string, shardIndex: number, fraction: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE shards SET progress = $3 WHERE run_id = $1 AND shard_index = $2 AND status = 'running'`,
      [runId, shardIndex, Math.max(0, Math.min(1, fraction))],
    );
    await this.refreshProgress(runId);
  }

  /** Sets a running run's progress (fraction in [0, 1]) without touching a finished one. */
  async setProgress(id: string, fraction: number): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(RunEntity)
      .set({ progress: Math.max(0, Math.min(1, fraction)) })
      .where(`id = :id AND status IN ('queued', 'running')`, { id })
      .execute();
  }

  /**
   * Records which engine sampled a model shard. Idempotent: an engine already listed is not added again, and the
   * model hash and code version are those of the first shard (a run samples one model).
   */
  async recordProvenance(
    id: string,
    engine: EngineProvenance,
    model: { modelHash: string; codeVersion: string },
  ): Promise<void> {
    const entry = JSON.stringify([engine]);
    await this.dataSource.query(
      `UPDATE runs
          SET provenance = jsonb_build_object(
                'engines', COALESCE(provenance->'engines', '[]'::jsonb) || $2::jsonb,
                'modelHash', COALESCE(provenance->>'modelHash', $3::text),
                'codeVersion', COALESCE(provenance->>'codeVersion', $4::text))
        WHERE id = $1 AND NOT COALESCE(provenance->'engines', '[]'::jsonb) @> $2::jsonb`,
      [id, entry, model.modelHash, model.codeVersion],
    );
  }
}
