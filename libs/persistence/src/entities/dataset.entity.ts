import { Check, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { References } from './references';
import { TeamEntity } from './team.entity';

export type DatasetSourceKind = 'upload' | 'synthetic' | 'builtin';

@Entity('datasets')
@Check('ck_datasets_source_kind', "source_kind IN ('upload', 'synthetic', 'builtin')")
@Unique('uq_datasets_team_name', ['teamId', 'name'])
export class DatasetEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  teamId!: string;
  @References(() => TeamEntity, { onDelete: 'CASCADE', index: 'idx_datasets_team_id' })
  team?: TeamEntity;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'source_kind', type: 'text' })
  sourceKind!: DatasetSourceKind;

  /** File name and format of an upload, or generator name and parameters of a synthetic set. */
  @Column({ name: 'source_details', type: 'jsonb', default: () => "'{}'" })
  sourceDetails!: Record<string, unknown>;

  @Column({ name: 'series_length', type: 'integer' })
  seriesLength!: number;

  /** Original label names; a series' class index points into this list. */
  @Column({ name: 'class_names', type: 'jsonb' })
  classNames!: string[];

  @Column({ name: 'train_count', type: 'integer' })
  trainCount!: number;

  @Column({ name: 'test_count', type: 'integer' })
  testCount!: number;

  /** Scaling fitted on the training split (mean, std, method), applied to both splits. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  scaling!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
