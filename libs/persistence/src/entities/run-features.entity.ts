import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ModelEntity } from './model.entity';
import { RunEntity } from './run.entity';

/**
 * The evaluation FCN's per-sample features of a run's evaluated samples and of the real test split, as one judge
 * (a model's classifier) saw them: what GET /runs/compare resamples for its paired bootstrap of the FID difference.
 * Float32 little-endian, row-major [rows, dim]. A later evaluation with the same judge overwrites the row.
 */
@Entity('run_features')
export class RunFeaturesEntity {
  @PrimaryColumn({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @ManyToOne(() => RunEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'run_id' })
  run?: RunEntity;

  /** The model whose evaluation classifier computed the features. */
  @PrimaryColumn({ name: 'judge_model_id', type: 'uuid' })
  judgeModelId!: string;

  @ManyToOne(() => ModelEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'judge_model_id' })
  judgeModel?: ModelEntity;

  /** The judge's FCN profile and layers (libs/metrics FcnJudge). */
  @Column({ type: 'jsonb' })
  judge!: Record<string, unknown>;

  @Column({ type: 'integer' })
  dim!: number;

  /** Rows of `generated`: the run's first samples by index, as many as were evaluated. */
  @Column({ name: 'generated_count', type: 'integer' })
  generatedCount!: number;

  @Column({ type: 'bytea' })
  generated!: Buffer;

  /** Rows of `real`: the whole real test split. */
  @Column({ name: 'real_count', type: 'integer' })
  realCount!: number;

  @Column({ type: 'bytea' })
  real!: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
