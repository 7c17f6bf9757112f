import { Check, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { BytesColumn, IntColumn } from './columns';
import { SampleEntity } from './sample.entity';

export type CriticPhase = 'before' | 'after';
export type TokenBand = 'lf' | 'hf';

/**
 * Per-token critic scores of one sample, one row per phase and band (float32 bytes in grid order). The sample is
 * named by its key, (run, index), the key the API uses too.
 */
@Entity('token_critic_scores')
@Check('ck_token_critic_scores_phase', "phase IN ('before', 'after')")
@Check('ck_token_critic_scores_band', "band IN ('lf', 'hf')")
export class TokenCriticScoreEntity {
  @PrimaryColumn({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @PrimaryColumn({ name: 'sample_index', type: 'integer' })
  sampleIndex!: number;

  @ManyToOne(() => SampleEntity, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'run_id', referencedColumnName: 'runId' },
    { name: 'sample_index', referencedColumnName: 'sampleIndex' },
  ])
  sample?: SampleEntity;

  @PrimaryColumn({ type: 'text' })
  phase!: CriticPhase;

  @PrimaryColumn({ type: 'text' })
  band!: TokenBand;

  /** Token grid shape: scores and mask hold rows × columns values. */
  @IntColumn()
  gridRows!: number;

  @IntColumn()
  gridColumns!: number;

  @BytesColumn()
  scores!: Buffer;

  /** Tokens re-masked by critical reverse sampling, as a bitmap in grid order. */
  @BytesColumn({ nullable: true })
  remaskedMask!: Buffer | null;
}
