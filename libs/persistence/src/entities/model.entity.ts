import { Check, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { References } from './references';
import { DatasetEntity } from './dataset.entity';
import { TeamEntity } from './team.entity';
import { bigintAsNumber } from './transformers';

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

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', default: 'pending' })
  status!: ModelStatus;

  /** Size preset of every stage (the pipeline's profiles). */
  @Column({ type: 'text', default: 'cpu' })
  profile!: ModelProfile;

  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber })
  seed!: number;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  hyperparameters!: Record<string, unknown>;

  /** Latest training progress: stage, step, losses. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  progress!: Record<string, unknown>;

  /** What the stages measured (e.g. classifierTestAccuracy), merged as each stage finishes. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  metrics!: Record<string, unknown>;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
