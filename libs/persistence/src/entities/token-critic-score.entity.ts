import { Check, Entity, PrimaryColumn } from 'typeorm';
import { BytesColumn, IntColumn } from './columns';
import { References } from './references';
import { SampleEntity } from './sample.entity';

export type CriticPhase = 'before' | 'after';
export type TokenBand = 'lf' | 'hf';

/** Per-token critic scores of one sample, one row per phase and band (float32 bytes in grid order). */
@Entity('token_critic_scores')
@Check('ck_token_critic_scores_phase', "phase IN ('before', 'after')")
@Check('ck_token_critic_scores_band', "band IN ('lf', 'hf')")
export class TokenCriticScoreEntity {
  sampleId!: string;
  @References(() => SampleEntity, { onDelete: 'CASCADE', primary: true, type: 'bigint' })
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
