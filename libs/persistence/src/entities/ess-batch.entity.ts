import { Column, Entity, PrimaryColumn } from 'typeorm';
import { CreatedAt, IntColumn, JsonColumn } from './columns';
import { References } from './references';
import { RunEntity } from './run.entity';

/**
 * The ESS settings one sampler call ran with, defaults applied (the sampler's EssConfig; jsonb so a setting the
 * sampler adds is recorded without a migration).
 */
export type EssBatchConfig = Record<string, unknown>;

/**
 * One ESS sampler call of a run (a chunk of a shard): its resolved settings and its t*, which reverse sampling
 * shares over the call (ess.md §5.3). Keyed by the call's first sample, so a retried shard overwrites its rows.
 */
@Entity('ess_batches')
export class EssBatchEntity {
  runId!: string;
  @References(() => RunEntity, { onDelete: 'CASCADE', primary: true })
  run?: RunEntity;

  /** Index of the call's first sample within the run. */
  @PrimaryColumn({ name: 'first_sample', type: 'integer' })
  firstSample!: number;

  @IntColumn()
  shardIndex!: number;

  @IntColumn()
  sampleCount!: number;

  @JsonColumn()
  config!: EssBatchConfig;

  /** LF t* of the call. */
  @Column({ name: 't_star', type: 'smallint' })
  tStar!: number;

  /** Samples whose mean LF critic code distance rose under ESS (the critic judged the refinement worse). */
  @IntColumn()
  criticWorse!: number;

  @CreatedAt()
  createdAt!: Date;
}
