import { Check, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { CreatedAt, IntColumn, JsonColumn, JsonObjectColumn, TextColumn } from './columns';
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

  @TextColumn()
  name!: string;

  @TextColumn()
  sourceKind!: DatasetSourceKind;

  /** File name and format of an upload, or generator name and parameters of a synthetic set. */
  @JsonObjectColumn()
  sourceDetails!: Record<string, unknown>;

  @IntColumn()
  seriesLength!: number;

  /** Original label names; a series' class index points into this list. */
  @JsonColumn()
  classNames!: string[];

  @IntColumn()
  trainCount!: number;

  @IntColumn()
  testCount!: number;

  /** Scaling fitted on the training split (mean, std, method), applied to both splits. */
  @JsonObjectColumn()
  scaling!: Record<string, unknown>;

  @CreatedAt()
  createdAt!: Date;
}
