import { Check, Column, Entity, PrimaryColumn } from 'typeorm';
import { References } from './references';
import { RunEntity } from './run.entity';
import { bigintAsNumber } from './transformers';

export type ShardStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

@Entity('shards')
@Check('ck_shards_status', "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')")
@Check('ck_shards_progress', 'progress >= 0 AND progress <= 1')
export class ShardEntity {
  runId!: string;
  @References(() => RunEntity, { onDelete: 'CASCADE', primary: true })
  run?: RunEntity;

  @PrimaryColumn({ name: 'shard_index', type: 'integer' })
  shardIndex!: number;

  @Column({ type: 'text', default: 'queued' })
  status!: ShardStatus;

  /** Index of the shard's first sample within the run. */
  @Column({ name: 'sample_offset', type: 'bigint', transformer: bigintAsNumber })
  sampleOffset!: number;

  @Column({ name: 'sample_count', type: 'integer' })
  sampleCount!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  seed!: number;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /**
   * Samples of this shard stored so far: raised in the transaction that inserts them, by the rows really inserted,
   * so run views read it instead of counting samples.
   */
  @Column({ name: 'samples_stored', type: 'integer', default: 0 })
  samplesStored!: number;

  /** How far the running attempt has got, 0..1 (sampling, then storing); samples_stored moves only at the end. */
  @Column({ type: 'double precision', default: 0 })
  progress!: number;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
