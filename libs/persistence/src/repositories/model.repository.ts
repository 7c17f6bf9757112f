import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { MODEL_STAGES } from '@maskgen/contracts';
import {
  ModelCheckpointEntity,
  ModelEntity,
  RunEntity,
  type ModelProfile,
  type ModelStage,
  type ModelStatus,
} from '../entities';
import { deleteTeamRowUnlessInUse } from './team-deletion';
import { statusOf } from './row-status';
import { teamPageNewestFirst } from './team-page';

export interface NewModel {
  teamId: string;
  datasetId: string;
  name: string;
  profile: ModelProfile;
  seed: number;
  hyperparameters?: Record<string, unknown>;
}

export interface StoredCheckpoint {
  stage: ModelStage;
  bytes: Buffer;
  sha256: string;
}

/** An unfinished stage's in-training state. */
export interface StoredTrainingState {
  step: number;
  bytes: Buffer;
}

export interface CheckpointDigest {
  stage: ModelStage;
  sha256: string;
  byteSize: number;
  createdAt: Date;
}

/** The bytes read back do not hash to what was stored. */
export class CheckpointCorruptError extends Error {}

const TRAINABLE: ModelStatus[] = ['pending', 'training'];

/** Every stage a ready model has stored (the training DAG's nodes). */
const ALL_STAGES: readonly ModelStage[] = MODEL_STAGES;

/**
 * The progress document $2 written by stage $3 (a text), merged into the stored one: its top-level fields (the
 * latest report) and its own entry under `stages`, leaving the other stages' entries as stored. Stages of one
 * model train at once (the training DAG), so a stage's write must not undo another's.
 */
const MERGE_STAGE_PROGRESS_SQL = `(($2::jsonb - 'stages') || jsonb_build_object('stages',
    COALESCE(progress -> 'stages', '{}'::jsonb) || jsonb_build_object($3::text, $2::jsonb -> 'stages' -> $3::text)))`;

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

@Injectable()
export class ModelRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  create(model: NewModel): Promise<ModelEntity> {
    const repository = this.dataSource.getRepository(ModelEntity);
    return repository.save(
      repository.create({ ...model, hyperparameters: model.hyperparameters ?? {}, status: 'pending' }),
    );
  }

  findById(id: string): Promise<ModelEntity | null> {
    return this.dataSource.getRepository(ModelEntity).findOneBy({ id });
  }

  findForTeam(id: string, teamId: string): Promise<ModelEntity | null> {
    return this.dataSource.getRepository(ModelEntity).findOneBy({ id, teamId });
  }

  listForTeam(
    teamId: string,
    filter: { status?: ModelStatus; datasetId?: string },
    offset: number,
    limit: number,
  ): Promise<[ModelEntity[], number]> {
    return teamPageNewestFirst(this.dataSource.getRepository(ModelEntity), teamId, filter, offset, limit);
  }

  /** The team's most recently created ready model of a dataset. */
  latestReady(teamId: string, datasetId: string): Promise<ModelEntity | null> {
    return this.dataSource
      .getRepository(ModelEntity)
      .findOne({ where: { teamId, datasetId, status: 'ready' }, order: { createdAt: 'DESC' } });
  }

  status(id: string): Promise<ModelStatus | undefined> {
    return statusOf(this.dataSource.getRepository(ModelEntity), id);
  }

  /** Moves a pending or training model to training; false when it was cancelled, failed or deleted. */
  async markTraining(id: string): Promise<boolean> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(ModelEntity)
      .set({ status: 'training', error: null })
      .where('id = :id AND status IN (:...open)', { id, open: TRAINABLE })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Stores the latest progress while the model trains; writes for a model that stopped meanwhile
   * are dropped, unless `afterStop` (the stage recording that it saw the stop).
   */
  async saveProgress(
    id: string,
    stage: ModelStage,
    progress: object,
    options: { afterStop?: boolean } = {},
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE models SET progress = ${MERGE_STAGE_PROGRESS_SQL}
        WHERE id = $1${options.afterStop ? '' : ` AND status IN ('pending', 'training')`}`,
      [id, JSON.stringify(progress), stage],
    );
  }

  /**
   * Stores a stage's checkpoint (replacing one from an earlier attempt), merges its metrics and
   * progress, and marks the model ready once every stage is stored, all at once. False when the model
   * stopped training meanwhile (cancelled or deleted): nothing is stored then.
   */
  async completeStage(
    id: string,
    stage: ModelStage,
    bytes: Buffer,
    update: {
      metrics: Record<string, unknown>;
      progress: object;
      /** Merged into the model's hyperparameters (e.g. the generated series length). */
      hyperparameters?: Record<string, unknown>;
    },
  ): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const model = await manager.findOne(ModelEntity, {
        where: { id, status: In(TRAINABLE) },
        lock: { mode: 'pessimistic_write' },
      });
      if (!model) return false;
      await manager.upsert(
        ModelCheckpointEntity,
        {
          modelId: id,
          stage,
          bytes,
          contentSha256: sha256Hex(bytes),
          byteSize: bytes.byteLength,
          // Replaces the stage's in-training state, if it had one.
          partial: false,
          step: null,
        },
        ['modelId', 'stage'],
      );
      // Under the model row's lock, so of two stages finishing at once exactly the second sees every stage stored.
      const stored = await manager.count(ModelCheckpointEntity, {
        where: { modelId: id, stage: In([...ALL_STAGES]), partial: false },
      });
      await manager.query(
        `UPDATE models SET metrics = metrics || $4::jsonb, progress = ${MERGE_STAGE_PROGRESS_SQL}, status = $5,
           hyperparameters = hyperparameters || $6::jsonb, updated_at = now() WHERE id = $1`,
        [
          id,
          JSON.stringify(update.progress),
          stage,
          JSON.stringify(update.metrics),
          stored === ALL_STAGES.length ? 'ready' : model.status,
          JSON.stringify(update.hyperparameters ?? {}),
        ],
      );
      return true;
    });
  }

  /**
   * Stores (or replaces) the in-training state of an unfinished stage, while the model trains. A finished
   * checkpoint of the stage is never overwritten. False when nothing was stored.
   */
  async saveTrainingState(id: string, stage: ModelStage, step: number, bytes: Buffer): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO model_checkpoints (model_id, stage, bytes, content_sha256, byte_size, partial, step)
         SELECT $1, $2, $3, $4, $5, true, $6 FROM models WHERE id = $1 AND status = ANY($7)
       ON CONFLICT (model_id, stage) DO UPDATE
         SET bytes = EXCLUDED.bytes, content_sha256 = EXCLUDED.content_sha256, byte_size = EXCLUDED.byte_size,
             step = EXCLUDED.step, created_at = now()
         WHERE model_checkpoints.partial
       RETURNING model_id`,
      [id, stage, bytes, sha256Hex(bytes), bytes.byteLength, step, TRAINABLE],
    );
    return rows.length > 0;
  }

  /** The in-training state of an unfinished stage, verified against its hash; null when there is none. */
  async loadTrainingState(id: string, stage: ModelStage): Promise<StoredTrainingState | null> {
    const row = await this.dataSource
      .getRepository(ModelCheckpointEntity)
      .findOneBy({ modelId: id, stage, partial: true });
    if (!row) return null;
    const actual = sha256Hex(row.bytes);
    if (actual !== row.contentSha256 || row.step === null) {
      throw new CheckpointCorruptError(
        `The ${stage} training state of model ${id} is corrupt (sha256 ${actual}, stored ${row.contentSha256})`,
      );
    }
    return { step: row.step, bytes: row.bytes };
  }

  /** Records a failure unless the model was cancelled (or already finished) meanwhile. */
  async fail(id: string, message: string): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(ModelEntity)
      .set({ status: 'failed', error: message })
      .where('id = :id AND status IN (:...open)', { id, open: TRAINABLE })
      .execute();
  }

  async cancel(id: string): Promise<boolean> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(ModelEntity)
      .set({ status: 'cancelled' })
      .where('id = :id AND status IN (:...open)', { id, open: TRAINABLE })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Deletes a model with its checkpoints, unless queued or running generation runs sample from it.
   * Finished runs keep their samples and metrics; their model id becomes null.
   */
  async deleteForTeam(id: string, teamId: string): Promise<boolean> {
    // Deleting it would pull the model from under runs that still sample from it.
    return deleteTeamRowUnlessInUse(this.dataSource, ModelEntity, { id, teamId }, async (manager) => {
      const active = await manager.countBy(RunEntity, { modelId: id, status: In(['queued', 'running']) });
      return active > 0
        ? `Model is used by ${active} active run(s); cancel or wait for them first`
        : undefined;
    });
  }

  async checkpointDigests(modelId: string): Promise<CheckpointDigest[]> {
    const rows = await this.dataSource.getRepository(ModelCheckpointEntity).find({
      where: { modelId, partial: false },
      select: { stage: true, contentSha256: true, byteSize: true, createdAt: true },
      order: { createdAt: 'ASC' },
    });
    return rows.map((row) => ({
      stage: row.stage,
      sha256: row.contentSha256,
      byteSize: row.byteSize,
      createdAt: row.createdAt,
    }));
  }

  /** The stored checkpoints of the given stages, each verified against its hash. */
  async loadCheckpoints(modelId: string, stages: readonly ModelStage[]): Promise<StoredCheckpoint[]> {
    const rows = await this.dataSource
      .getRepository(ModelCheckpointEntity)
      .find({ where: { modelId, stage: In([...stages]), partial: false } });
    return stages.map((stage) => {
      const row = rows.find((candidate) => candidate.stage === stage);
      if (!row) throw new CheckpointCorruptError(`Model ${modelId} has no ${stage} checkpoint`);
      const actual = sha256Hex(row.bytes);
      if (actual !== row.contentSha256) {
        throw new CheckpointCorruptError(
          `The ${stage} checkpoint of model ${modelId} is corrupt (sha256 ${actual}, stored ${row.contentSha256})`,
        );
      }
      return { stage, bytes: row.bytes, sha256: actual };
    });
  }
}
