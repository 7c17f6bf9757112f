import { SHARD_STATUSES, type ShardStatus } from '@maskgen/contracts';
import { Check, Entity, PrimaryColumn } from 'typeorm';
import { BigIntColumn, DoubleColumn, IntColumn, TextColumn, TimestampColumn, oneOf } from './columns';
import { References } from './references';
import { RunEntity } from './run.entity';

export type { ShardStatus };

@Entity('shards')
@Check('ck_shards_status', oneOf('status', SHARD_STATUSES))
@Check('ck_shards_progress', 'progress >= 0 AND progress <= 1')
export class ShardEntity {
  runId!: string;
  @References(() => RunEntity, { onDelete: 'CASCADE', primary: true })
  run?: RunEntity;

  @PrimaryColumn({ name: 'shard_index', type: 'integer' })
  shardIndex!: number;

  @TextColumn({ default: 'queued' satisfies ShardStatus })
  status!: ShardStatus;

  /** Index of the shard's first sample within the run. */
  @BigIntColumn()
  sampleOffset!: number;

  @IntColumn()
  sampleCount!: number;

  @BigIntColumn()
  seed!: number;

  @IntColumn({ default: 0 })
  attempts!: number;

  /**
   * Samples of this shard stored so far: raised in the transaction that inserts them, by the rows really inserted,
   * so run views read it instead of counting samples.
   */
  @IntColumn({ default: 0 })
  samplesStored!: number;

  /** How far the running attempt has got, 0..1 (sampling, then storing); samples_stored moves only at the end. */
  @DoubleColumn({ default: 0 })
  progress!: number;

  @TextColumn({ nullable: true })
  error!: string | null;

  @TimestampColumn({ nullable: true })
  startedAt!: Date | null;

  @TimestampColumn({ nullable: true })
  finishedAt!: Date | null;
}
