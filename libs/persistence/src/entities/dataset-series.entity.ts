import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { DatasetEntity } from './dataset.entity';

export type DatasetSplit = 'train' | 'test';

/** One series of a dataset. Values are little-endian float32 bytes: compact and fast to bulk insert. */
@Entity('dataset_series')
@Check('ck_dataset_series_split', "split IN ('train', 'test')")
export class DatasetSeriesEntity {
  @PrimaryColumn({ name: 'dataset_id', type: 'uuid' })
  datasetId!: string;

  @ManyToOne(() => DatasetEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'dataset_id' })
  dataset?: DatasetEntity;

  @PrimaryColumn({ type: 'text' })
  split!: DatasetSplit;

  @PrimaryColumn({ name: 'series_index', type: 'integer' })
  seriesIndex!: number;

  @Column({ name: 'class_index', type: 'integer', nullable: true })
  classIndex!: number | null;

  @Column({ type: 'bytea' })
  values!: Buffer;
}
