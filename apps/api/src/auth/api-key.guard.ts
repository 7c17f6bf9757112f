import { timingSafeEqual } from 'node:crypto';
import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@maskgen/config';
import { TeamRepository, type TeamEntity } from '@maskgen/persistence';
import { IS_PUBLIC } from '@maskgen/runtime';
import type { Request } from 'express';
import { IS_ADMIN_ONLY } from './admin-only.decorator';

export interface AuthenticatedRequest extends Request {
  team?: TeamEntity;
  isAdmin?: boolean;
}

export function presentedKey(request: Request): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice('Bearer '.length).trim();
  return undefined;
}

export function isAdminKey(key: string, adminKey: string | undefined): boolean {
  if (!adminKey) return false;
  const a = Buffer.from(key);
  const b = Buffer.from(adminKey);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Every route needs an API key (`x-api-key` or `Authorization: Bearer`),
 * except those marked @Public. A team key scopes the request to its team;
 * the admin key from config opens the @AdminOnly routes.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly teams: TeamRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = presentedKey(request);
    if (!key) throw new UnauthorizedException('An API key is required (header x-api-key)');
    if (this.reflector.getAllAndOverride<boolean>(IS_ADMIN_ONLY, targets)) {
      if (!isAdminKey(key, this.config.api.adminApiKey))
        throw new UnauthorizedException('The admin API key is required');
      request.isAdmin = true;
      return true;
    }
    const team = await this.teams.findTeamByApiKey(key);
    if (!team) throw new UnauthorizedException('Unknown or revoked API key');
    request.team = team;
    return true;
  }
}
