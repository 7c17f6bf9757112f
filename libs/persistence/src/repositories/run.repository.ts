import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import {
  RunEntity,
  ShardEntity,
  type RunEngineProvenance,
  type RunKind,
  type RunStatus,
  type ShardStatus,
} from '../entities';
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

  async markShardRunning(runId: string, shardIndex: number): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(ShardEntity)
      .set({ status: 'running', attempts: () => 'attempts + 1', startedAt: () => 'now()', error: null })
      .where('run_id = :runId AND shard_index = :shardIndex', { runId, shardIndex })
      .execute();
  }

  /** Settles a shard and refreshes the run's progress from the shards that are done. */
  async finishShard(
    runId: string,
    shardIndex: number,
    status: Extract<ShardStatus, 'succeeded' | 'failed' | 'cancelled'>,
    error?: string,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // Lock the run row before the shard row, in the same order as cancel() and
      // reopenFailedShards(); the opposite order deadlocked with a concurrent cancel.
      await manager.query(`SELECT 1 FROM runs WHERE id = $1 FOR UPDATE`, [runId]);
      await manager
        .createQueryBuilder()
        .update(ShardEntity)
        .set({ status, error: error ?? null, finishedAt: () => 'now()' })
        .where('run_id = :runId AND shard_index = :shardIndex', { runId, shardIndex })
        .execute();
      await manager.query(
        `UPDATE runs SET progress = LEAST(1, (SELECT count(*) FROM shards WHERE run_id = $1 AND status = 'succeeded')::float8 / GREATEST(total_shards, 1))
         WHERE id = $1 AND status NOT IN ('succeeded', 'failed', 'cancelled')`,
        [runId],
      );
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

  async status(id: string): Promise<RunStatus | undefined> {
    const row = await this.dataSource
      .getRepository(RunEntity)
      .findOne({ where: { id }, select: { status: true } });
    return row?.status;
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
        .set({ status: 'queued', error: null, finishedAt: null })
        .where(`id = :id AND status = 'failed'`, { id })
        .execute();
      if ((reopened.affected ?? 0) === 0) return null;
      await manager
        .createQueryBuilder()
        .update(ShardEntity)
        .set({ status: 'queued', error: null, finishedAt: null })
        .where('run_id = :id AND status IN (:...retry)', {
          id,
          retry: ['failed', 'cancelled', 'queued', 'running'],
        })
        .execute();
      return manager.find(ShardEntity, {
        where: { runId: id, status: 'queued' },
        order: { shardIndex: 'ASC' },
      });
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
    engine: RunEngineProvenance,
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
