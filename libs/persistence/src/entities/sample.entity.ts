import { Entity, PrimaryColumn } from 'typeorm';
import { BytesColumn, IntColumn, RealColumn } from './columns';
import { References } from './references';
import { RunEntity } from './run.entity';

/** The samples table's primary key, (run_id, sample_index): a unique violation on it names this constraint. */
export const SAMPLES_PRIMARY_KEY = 'pk_samples';

/**
 * One generated series. A sample's index is unique within its run (shards cover disjoint index ranges), so
 * (run, index) is the primary key: a retried or duplicated shard cannot store a sample twice, and exports page
 * through a run in index order on it. It is the only index, so each stored row costs one index entry. Values are
 * float32 bytes, tokens int32 bytes; `values` is stored uncompressed (STORAGE EXTERNAL, set by the migration
 * 1764540000000): float bytes do not compress, so PostgreSQL does not try before moving a long series to TOAST.
 */
@Entity('samples')
export class SampleEntity {
  runId!: string;
  @References(() => RunEntity, { onDelete: 'CASCADE', primary: true, primaryKeyName: SAMPLES_PRIMARY_KEY })
  run?: RunEntity;

  @PrimaryColumn({ name: 'sample_index', type: 'integer', primaryKeyConstraintName: SAMPLES_PRIMARY_KEY })
  sampleIndex!: number;

  @IntColumn()
  shardIndex!: number;

  @IntColumn({ nullable: true })
  classIndex!: number | null;

  @BytesColumn()
  values!: Buffer;

  @BytesColumn({ nullable: true })
  tokensLf!: Buffer | null;

  @BytesColumn({ nullable: true })
  tokensHf!: Buffer | null;

  /** Mean critic code distance over the sample's final LF tokens (lower looks more real). */
  @RealColumn({ nullable: true })
  criticMean!: number | null;

  /**
   * ESS samples: the same mean over the LF tokens naive decoding gave, before ESS refined them. The sample got
   * worse under ESS when critic_mean > critic_mean_before. Null for naive and synthetic samples.
   */
  @RealColumn({ nullable: true })
  criticMeanBefore!: number | null;

  @RealColumn({ nullable: true })
  criticMax!: number | null;

  @IntColumn({ nullable: true })
  remaskedCount!: number | null;
}
