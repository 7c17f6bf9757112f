import { Check, Column, Entity, PrimaryColumn } from 'typeorm';
import { BytesColumn, CreatedAt, IntColumn } from './columns';
import { References } from './references';
import { ModelEntity } from './model.entity';

export type ModelStage = 'stage1' | 'prior' | 'critic' | 'classifier';

/** Checkpoints live in Postgres so any worker on any node can load them; the hash detects corruption. */
@Entity('model_checkpoints')
@Check('ck_model_checkpoints_stage', "stage IN ('stage1', 'prior', 'critic', 'classifier')")
export class ModelCheckpointEntity {
  modelId!: string;
  @References(() => ModelEntity, { onDelete: 'CASCADE', primary: true })
  model?: ModelEntity;

  @PrimaryColumn({ type: 'text' })
  stage!: ModelStage;

  @BytesColumn()
  bytes!: Buffer;

  @Column({ name: 'content_sha256', type: 'char', length: 64 })
  contentSha256!: string;

  @IntColumn()
  byteSize!: number;

  /**
   * An in-training state of an unfinished stage (weights, optimiser, step; libs/model training state), kept so a
   * stage interrupted by a shutdown resumes; the stage's finished checkpoint replaces it.
   */
  @Column({ type: 'boolean', default: false })
  partial!: boolean;

  /** Steps the partial state has trained; null for a finished stage. */
  @IntColumn({ nullable: true })
  step!: number | null;

  @CreatedAt()
  createdAt!: Date;
}
