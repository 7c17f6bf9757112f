import { Check, Column, Entity, PrimaryColumn } from 'typeorm';
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
  @Column({ name: 'grid_rows', type: 'integer' })
  gridRows!: number;

  @Column({ name: 'grid_columns', type: 'integer' })
  gridColumns!: number;

  @Column({ type: 'bytea' })
  scores!: Buffer;

  /** Tokens re-masked by critical reverse sampling, as a bitmap in grid order. */
  @Column({ name: 'remasked_mask', type: 'bytea', nullable: true })
  remaskedMask!: Buffer | null;
}
