import {
  MODEL_STATUSES,
  TRAINING_PROFILES,
  type ModelStatus,
  type TrainingProfileName as ModelProfile,
} from '@maskgen/contracts';
import { Check, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { BigIntColumn, CreatedAt, JsonObjectColumn, TextColumn, UpdatedAt, oneOf } from './columns';
import { References } from './references';
import { DatasetEntity } from './dataset.entity';
import { TeamEntity } from './team.entity';

export type { ModelStatus, ModelProfile };

@Entity('models')
@Check('ck_models_status', oneOf('status', MODEL_STATUSES))
@Check('ck_models_profile', oneOf('profile', TRAINING_PROFILES))
export class ModelEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  teamId!: string;
  @References(() => TeamEntity, { onDelete: 'CASCADE', index: 'idx_models_team_id' })
  team?: TeamEntity;

  datasetId!: string;
  // RESTRICT: a dataset cannot disappear from under a model trained on it.
  @References(() => DatasetEntity, { onDelete: 'RESTRICT', index: 'idx_models_dataset_id' })
  dataset?: DatasetEntity;

  @TextColumn()
  name!: string;

  @TextColumn({ default: 'pending' satisfies ModelStatus })
  status!: ModelStatus;

  /** Size preset of every stage (the pipeline's profiles). */
  @TextColumn({ default: 'cpu' })
  profile!: ModelProfile;

  @BigIntColumn({ default: 0 })
  seed!: number;

  @JsonObjectColumn()
  hyperparameters!: Record<string, unknown>;

  /** Latest training progress: stage, step, losses. */
  @JsonObjectColumn()
  progress!: Record<string, unknown>;

  /** What the stages measured (e.g. classifierTestAccuracy), merged as each stage finishes. */
  @JsonObjectColumn()
  metrics!: Record<string, unknown>;

  @TextColumn({ nullable: true })
  error!: string | null;

  @CreatedAt()
  createdAt!: Date;

  @UpdatedAt()
  updatedAt!: Date;
}
