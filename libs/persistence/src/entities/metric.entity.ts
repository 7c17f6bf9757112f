import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
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

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'double precision' })
  value!: number;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  details!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
