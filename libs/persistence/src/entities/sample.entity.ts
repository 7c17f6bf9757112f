import { Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { BytesColumn, IntColumn, RealColumn } from './columns';
import { References } from './references';
import { RunEntity } from './run.entity';

/**
 * One generated series. (run, shard, index) is unique so a retried shard
 * cannot store a sample twice. Values are float32 bytes, tokens int32 bytes.
 */
@Entity('samples')
@Unique('uq_samples_run_shard_index', ['runId', 'shardIndex', 'sampleIndex'])
// Exports page through a run in sample order.
@Index('idx_samples_run_sample_index', ['runId', 'sampleIndex'])
export class SampleEntity {
  /** int8, which node-postgres returns as a string. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  runId!: string;
  @References(() => RunEntity, { onDelete: 'CASCADE' })
  run?: RunEntity;

  @IntColumn()
  shardIndex!: number;

  @IntColumn()
  sampleIndex!: number;

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
