import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { CreatedAt, TextColumn, TimestampColumn } from './columns';
import { References } from './references';
import type { TeamEntity } from './team.entity';

/** Only a SHA-256 of the key is stored; the key itself is shown once, when it is created. */
@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  teamId!: string;
  @References('TeamEntity', {
    onDelete: 'CASCADE',
    index: 'idx_api_keys_team_id',
    inverse: (team: TeamEntity) => team.apiKeys,
  })
  team?: TeamEntity;

  @TextColumn()
  name!: string;

  /** First characters of the key, so a user can tell keys apart without the secret. */
  @TextColumn()
  prefix!: string;

  @Index('uq_api_keys_key_hash', { unique: true })
  @Column({ name: 'key_hash', type: 'char', length: 64 })
  keyHash!: string;

  @CreatedAt()
  createdAt!: Date;

  @TimestampColumn({ nullable: true })
  lastUsedAt!: Date | null;

  @TimestampColumn({ nullable: true })
  revokedAt!: Date | null;
}
