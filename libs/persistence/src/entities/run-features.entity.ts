import { Column, CreateDateColumn, Entity } from 'typeorm';
import { References } from './references';
import { ModelEntity } from './model.entity';
import { RunEntity } from './run.entity';

/**
 * The evaluation FCN's per-sample features of a run's evaluated samples and of the real test split, as one judge
 * (a model's classifier) saw them: what GET /runs/compare resamples for its paired bootstrap of the FID difference.
 * Float32 little-endian, row-major [rows, dim]. A later evaluation with the same judge overwrites the row.
 */
@Entity('run_features')
export class RunFeaturesEntity {
  runId!: string;
  @References(() => RunEntity, { onDelete: 'CASCADE', primary: true })
  run?: RunEntity;

  /** The model whose evaluation classifier computed the features. */
  judgeModelId!: string;
  @References(() => ModelEntity, { onDelete: 'CASCADE', primary: true })
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
