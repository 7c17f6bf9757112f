import { Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { CreatedAt, DoubleColumn, JsonObjectColumn, TextColumn } from './columns';
import { References } from './references';
import { RunEntity } from './run.entity';

@Entity('metrics')
@Index('idx_metrics_run_name', ['runId', 'name'])
export class MetricEntity {
  /** int8, which node-postgres returns as a string. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  runId!: string;
  @References(() => RunEntity, { onDelete: 'CASCADE' })
  run?: RunEntity;

  @TextColumn()
  name!: string;

  @DoubleColumn()
  value!: number;

  @JsonObjectColumn()
  details!: Record<string, unknown>;

  @CreatedAt()
  createdAt!: Date;
}
