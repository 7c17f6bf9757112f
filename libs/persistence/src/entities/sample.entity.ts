import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
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

  @Column({ name: 'shard_index', type: 'integer' })
  shardIndex!: number;

  @Column({ name: 'sample_index', type: 'integer' })
  sampleIndex!: number;

  @Column({ name: 'class_index', type: 'integer', nullable: true })
  classIndex!: number | null;

  @Column({ type: 'bytea' })
  values!: Buffer;

  @Column({ name: 'tokens_lf', type: 'bytea', nullable: true })
  tokensLf!: Buffer | null;

  @Column({ name: 'tokens_hf', type: 'bytea', nullable: true })
  tokensHf!: Buffer | null;

  /** Mean critic code distance over the sample's final LF tokens (lower looks more real). */
  @Column({ name: 'critic_mean', type: 'real', nullable: true })
  criticMean!: number | null;

  /**
   * ESS samples: the same mean over the LF tokens naive decoding gave, before ESS refined them. The sample got
   * worse under ESS when critic_mean > critic_mean_before. Null for naive and synthetic samples.
   */
  @Column({ name: 'critic_mean_before', type: 'real', nullable: true })
  criticMeanBefore!: number | null;

  @Column({ name: 'critic_max', type: 'real', nullable: true })
  criticMax!: number | null;

  @Column({ name: 'remasked_count', type: 'integer', nullable: true })
  remaskedCount!: number | null;
}
