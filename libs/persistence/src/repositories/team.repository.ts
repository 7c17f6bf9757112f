import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { ApiKeyEntity, TeamEntity } from '../entities';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

@Injectable()
export class TeamRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Returns the team with that name, creating it if needed. */
  async ensureTeam(name: string, isAdmin = false): Promise<TeamEntity> {
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(TeamEntity)
      .values({ name, isAdmin })
      .orIgnore()
      .execute();
    return this.dataSource.getRepository(TeamEntity).findOneByOrFail({ name });
  }

  findById(id: string): Promise<TeamEntity | null> {
    return this.dataSource.getRepository(TeamEntity).findOneBy({ id });
  }

  list(): Promise<TeamEntity[]> {
    return this.dataSource.getRepository(TeamEntity).find({ order: { name: 'ASC' } });
  }

  /** Creates an API key; the plain key is returned once and only its hash is stored. */
  async createApiKey(teamId: string, name: string): Promise<{ key: string; entity: ApiKeyEntity }> {
    const key = `mgk_${randomBytes(24).toString('base64url')}`;
    const entity = await this.dataSource.getRepository(ApiKeyEntity).save({
      teamId,
      name,
      prefix: key.slice(0, 8),
      keyHash: hashApiKey(key),
      lastUsedAt: null,
      revokedAt: null,
    });
    return { key, entity };
  }

  /** The team owning a valid, unrevoked key, or null. */
  async findTeamByApiKey(key: string): Promise<TeamEntity | null> {
    const apiKey = await this.dataSource
      .getRepository(ApiKeyEntity)
      .findOne({ where: { keyHash: hashApiKey(key), revokedAt: IsNull() }, relations: { team: true } });
    return apiKey?.team ?? null;
  }
}
