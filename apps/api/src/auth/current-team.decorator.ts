import { createParamDecorator, type ExecutionContext, UnauthorizedException } from '@nestjs/common';
import type { TeamEntity } from '@maskgen/persistence';
import type { AuthenticatedRequest } from './api-key.guard';

/** The team whose API key authenticated the request. */
export const CurrentTeam = createParamDecorator((_data: unknown, context: ExecutionContext): TeamEntity => {
  const team = context.switchToHttp().getRequest<AuthenticatedRequest>().team;
  if (!team) throw new UnauthorizedException('A team API key is required');
  return team;
});
