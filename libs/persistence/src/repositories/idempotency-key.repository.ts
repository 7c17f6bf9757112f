import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { IdempotencyKeyEntity } from '../entities';

/** What claiming a key found: it is ours now, or a first request that finished, or one still being handled. */
export type IdempotencyClaim =
  | { outcome: 'claimed' }
  | { outcome: 'completed'; request: string; requestHash: string; status: number; body: unknown }
  | { outcome: 'pending'; request: string; requestHash: string };

@Injectable()
export class IdempotencyKeyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Claims (team, key) for a request, or returns the row of the request that claimed it first. The primary key
   * decides between concurrent claims. An expired key, or a claim still pending after `pendingLeaseMs` (its
   * request died with its process), is replaced.
   */
  async claim(
    teamId: string,
    key: string,
    request: string,
    requestHash: string,
    ttlMs: number,
    pendingLeaseMs: number,
  ): Promise<IdempotencyClaim> {
    await this.dataSource.query(
      `DELETE FROM idempotency_keys WHERE team_id = $1 AND key = $2
          AND (expires_at < now() OR (response_status IS NULL AND created_at < now() - make_interval(secs => $3)))`,
      [teamId, key, pendingLeaseMs / 1000],
    );
    const inserted = await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(IdempotencyKeyEntity)
      .values({
        teamId,
        key,
        request,
        requestHash,
        expiresAt: () => `now() + make_interval(secs => ${Number(ttlMs) / 1000})`,
      })
      .orIgnore()
      .returning(['key'])
      .execute();
    if (inserted.raw && (inserted.raw as unknown[]).length > 0) return { outcome: 'claimed' };
    const row = await this.dataSource.getRepository(IdempotencyKeyEntity).findOneBy({ teamId, key });
    // Gone between the insert and this read (released or expired): claiming again decides.
    if (!row) return this.claim(teamId, key, request, requestHash, ttlMs, pendingLeaseMs);
    return row.responseStatus === null
      ? { outcome: 'pending', request: row.request, requestHash: row.requestHash }
      : {
          outcome: 'completed',
          request: row.request,
          requestHash: row.requestHash,
          status: row.responseStatus,
          body: row.responseBody,
        };
  }

  /** Stores the response of the request that claimed the key, replayed to its retries until the key expires. */
  async complete(teamId: string, key: string, status: number, body: unknown): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(IdempotencyKeyEntity)
      // As JSON text, so a body that is itself a string or null is stored as such.
      .set({ responseStatus: status, responseBody: () => ':body::json' })
      .setParameter('body', JSON.stringify(body ?? null))
      .where('team_id = :teamId AND key = :key', { teamId, key })
      .execute();
  }

  /** Gives up a claim whose request failed, so a retry with the key is handled afresh. */
  async release(teamId: string, key: string): Promise<void> {
    await this.dataSource.query(
      'DELETE FROM idempotency_keys WHERE team_id = $1 AND key = $2 AND response_status IS NULL',
      [teamId, key],
    );
  }

  /** Deletes expired keys; returns how many. */
  async purgeExpired(): Promise<number> {
    const result = await this.dataSource
      .createQueryBuilder()
      .delete()
      .from(IdempotencyKeyEntity)
      .where('expires_at < now()')
      .execute();
    return result.affected ?? 0;
  }
}
