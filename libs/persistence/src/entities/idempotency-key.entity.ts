import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { CreatedAt, IntColumn, TextColumn, TimestampColumn } from './columns';
import { References } from './references';
import { TeamEntity } from './team.entity';

/**
 * An `Idempotency-Key` a team sent with a creating request: the first request claims it (the primary key makes
 * two concurrent requests with one key claim it once), its successful response is kept to be replayed to
 * retries, and it is forgotten at `expiresAt`.
 */
@Entity('idempotency_keys')
export class IdempotencyKeyEntity {
  teamId!: string;
  @References(() => TeamEntity, { onDelete: 'CASCADE', primary: true })
  team?: TeamEntity;

  @PrimaryColumn({ type: 'text' })
  key!: string;

  /** `METHOD /route` of the first request, named when a retry does not match it. */
  @TextColumn()
  request!: string;

  /** SHA-256 of method, route and body of the first request: a retry must send the same. */
  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  /** Null while the first request is still being handled. */
  @IntColumn({ nullable: true })
  responseStatus!: number | null;

  // json, not jsonb: kept as sent, keys in their order, so a replay is the same bytes.
  @Column({ name: 'response_body', type: 'json', nullable: true })
  responseBody!: unknown;

  @CreatedAt()
  createdAt!: Date;

  @Index('idx_idempotency_keys_expires_at')
  @TimestampColumn()
  expiresAt!: Date;
}
