import { Controller, Get, NotFoundException, Post } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import {
  createApiKeyRequestSchema,
  createdApiKeySchema,
  createTeamRequestSchema,
  teamListSchema,
  teamSchema,
} from '@maskgen/contracts';
import { TeamRepository } from '@maskgen/persistence';
import { ZodBody, ZodResponse } from '@maskgen/runtime';
import type { z } from 'zod';
import { AdminOnly } from '../auth/admin-only.decorator';
import { IdParam } from '../common/routes';

@ApiTags('admin')
@ApiSecurity('api-key')
@AdminOnly()
@Controller('admin/teams')
export class TeamsAdminController {
  constructor(private readonly teams: TeamRepository) {}

  @Post()
  @ApiOperation({ summary: 'Create a team (idempotent by name)' })
  @ZodResponse(201, teamSchema)
  create(@ZodBody(createTeamRequestSchema) body: z.output<typeof createTeamRequestSchema>) {
    return this.teams.ensureTeam(body.name);
  }

  @Get()
  @ZodResponse(200, teamListSchema)
  list() {
    return this.teams.list();
  }

  @Post(':id/api-keys')
  @ApiOperation({ summary: 'Create an API key for a team; the key is shown only in this response' })
  @ZodResponse(201, createdApiKeySchema)
  async createKey(
    @IdParam() id: string,
    @ZodBody(createApiKeyRequestSchema) body: z.output<typeof createApiKeyRequestSchema>,
  ) {
    const team = await this.teams.findById(id);
    if (!team) throw new NotFoundException(`Team ${id} not found`);
    const { key, entity } = await this.teams.createApiKey(team.id, body.name);
    return { id: entity.id, teamId: team.id, name: entity.name, prefix: entity.prefix, key };
  }
}
