import { Entity } from 'typeorm';
import { BytesColumn, CreatedAt, IntColumn, JsonColumn } from './columns';
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
  @JsonColumn()
  judge!: Record<string, unknown>;

  @IntColumn()
  dim!: number;

  /** Rows of `generated`: the run's first samples by index, as many as were evaluated. */
  @IntColumn()
  generatedCount!: number;

  @BytesColumn()
  generated!: Buffer;

  /** Rows of `real`: the whole real test split. */
  @IntColumn()
  realCount!: number;

  @BytesColumn()
  real!: Buffer;

  @CreatedAt()
  createdAt!: Date;
}
