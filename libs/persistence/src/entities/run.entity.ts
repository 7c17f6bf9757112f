import {
  RUN_KINDS,
  RUN_STATUSES,
  type RunKind,
  type RunProvenance,
  type RunStatus,
} from '@maskgen/contracts';
import { Check, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import {
  BigIntColumn,
  DoubleColumn,
  IntColumn,
  JsonColumn,
  JsonObjectColumn,
  TextColumn,
  TimestampColumn,
  oneOf,
} from './columns';
import { References } from './references';
import { ModelEntity } from './model.entity';
import { TeamEntity } from './team.entity';

export type { RunKind, RunStatus };

@Entity('runs')
@Check('ck_runs_kind', oneOf('kind', RUN_KINDS))
@Check('ck_runs_status', oneOf('status', RUN_STATUSES))
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

  @TextColumn()
  kind!: RunKind;

  @TextColumn({ default: 'queued' satisfies RunStatus })
  status!: RunStatus;

  @JsonObjectColumn()
  params!: Record<string, unknown>;

  /** What produced the samples: `{ engines: [...], modelHash, codeVersion }`; null until a model shard runs. */
  @JsonColumn({ nullable: true })
  provenance!: RunProvenance | null;

  @BigIntColumn()
  seed!: number;

  /** Fraction done in [0, 1]. */
  @DoubleColumn({ default: 0 })
  progress!: number;

  @IntColumn({ default: 0 })
  totalShards!: number;

  @TextColumn({ nullable: true })
  error!: string | null;

  /** Tag in the job ids of the run's current BullMQ flow (GenerationRunStarter.enqueue), for the reconciler. */
  @TextColumn({ default: 'a' })
  flowTag!: string;

  /** When that flow was (about to be) enqueued: the reconciler leaves younger flows alone. */
  @TimestampColumn({ default: () => 'now()' })
  flowEnqueuedAt!: Date;

  /** Times the reconciler re-enqueued the run because no job was left to run it. */
  @IntColumn({ default: 0 })
  recoveries!: number;

  @TimestampColumn({ default: () => 'now()' })
  createdAt!: Date;

  @TimestampColumn({ nullable: true })
  startedAt!: Date | null;

  @TimestampColumn({ nullable: true })
  finishedAt!: Date | null;
}
