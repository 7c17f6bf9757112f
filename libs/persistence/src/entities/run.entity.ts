import type { RunProvenance } from '@maskgen/contracts';
import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { References } from './references';
import { ModelEntity } from './model.entity';
import { TeamEntity } from './team.entity';
import { bigintAsNumber } from './transformers';

export type RunKind = 'train' | 'generate' | 'evaluate';
export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

@Entity('runs')
@Check('ck_runs_kind', "kind IN ('train', 'generate', 'evaluate')")
@Check('ck_runs_status', "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')")
@Check('ck_runs_progress', 'progress >= 0 AND progress <= 1')
@Index('idx_runs_team_created', ['teamId', 'createdAt'])
export class RunEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  teamId!: string;
  @References(() => TeamEntity, { onDelete: 'CASCADE' })
  team?: TeamEntity;

  modelId!: string | null;
  @References(() => ModelEntity, { onDelete: 'SET NULL', nullable: true, index: 'idx_runs_model_id' })
  model?: ModelEntity;

  @Column({ type: 'text' })
  kind!: RunKind;

  @Column({ type: 'text', default: 'queued' })
  status!: RunStatus;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  params!: Record<string, unknown>;

  /** What produced the samples: `{ engines: [...], modelHash, codeVersion }`; null until a model shard runs. */
  @Column({ type: 'jsonb', nullable: true })
  provenance!: RunProvenance | null;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  seed!: number;

  /** Fraction done in [0, 1]. */
  @Column({ type: 'double precision', default: 0 })
  progress!: number;

  @Column({ name: 'total_shards', type: 'integer', default: 0 })
  totalShards!: number;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** Tag in the job ids of the run's current BullMQ flow (GenerationRunStarter.enqueue), for the reconciler. */
  @Column({ name: 'flow_tag', type: 'text', default: 'a' })
  flowTag!: string;

  /** When that flow was (about to be) enqueued: the reconciler leaves younger flows alone. */
  @Column({ name: 'flow_enqueued_at', type: 'timestamptz', default: () => 'now()' })
  flowEnqueuedAt!: Date;

  /** Times the reconciler re-enqueued the run because no job was left to run it. */
  @Column({ type: 'integer', default: 0 })
  recoveries!: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
