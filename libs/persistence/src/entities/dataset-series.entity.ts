import { Check, Entity, PrimaryColumn } from 'typeorm';
import { BytesColumn, IntColumn } from './columns';
import { References } from './references';
import { DatasetEntity } from './dataset.entity';

export type DatasetSplit = 'train' | 'test';

/** One series of a dataset. Values are little-endian float32 bytes: compact and fast to bulk insert. */
@Entity('dataset_series')
@Check('ck_dataset_series_split', "split IN ('train', 'test')")
export class DatasetSeriesEntity {
  datasetId!: string;
  @References(() => DatasetEntity, { onDelete: 'CASCADE', primary: true })
  dataset?: DatasetEntity;

  @PrimaryColumn({ type: 'text' })
  split!: DatasetSplit;

  @PrimaryColumn({ name: 'series_index', type: 'integer' })
  seriesIndex!: number;

  @IntColumn({ nullable: true })
  classIndex!: number | null;

  @BytesColumn()
  values!: Buffer;
}
