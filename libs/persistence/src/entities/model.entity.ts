import { Check, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { BigIntColumn, CreatedAt, JsonObjectColumn, TextColumn, UpdatedAt } from './columns';
import { References } from './references';
import { DatasetEntity } from './dataset.entity';
import { TeamEntity } from './team.entity';

export type ModelStatus = 'pending' | 'training' | 'ready' | 'failed' | 'cancelled';
export type ModelProfile = 'tiny' | 'cpu' | 'paper';

@Entity('models')
@Check('ck_models_status', "status IN ('pending', 'training', 'ready', 'failed', 'cancelled')")
@Check('ck_models_profile', "profile IN ('tiny', 'cpu', 'paper')")
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

  @TextColumn({ default: 'pending' })
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
