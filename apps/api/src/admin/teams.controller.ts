import { Body, Controller, Get, NotFoundException, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { TeamRepository } from '@maskgen/persistence';
import { AdminOnly } from '../auth/admin-only.decorator';

class CreateTeamDto {
  @ApiProperty()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{1,62}$/, { message: 'name must be 2-63 lower-case letters, digits or -' })
  name!: string;
}

class CreateApiKeyDto {
  @ApiProperty({ description: 'What the key is for, e.g. "nightly-ci"' })
  @IsString()
  @Matches(/^[\w .-]{1,100}$/, { message: 'name must be 1-100 letters, digits, spaces, _ . or -' })
  name!: string;
}

@ApiTags('admin')
@ApiSecurity('api-key')
@AdminOnly()
@Controller('admin/teams')
export class TeamsAdminController {
  constructor(private readonly teams: TeamRepository) {}

  @Post()
  @ApiOperation({ summary: 'Create a team (idempotent by name)' })
  create(@Body() body: CreateTeamDto) {
    return this.teams.ensureTeam(body.name);
  }

  @Get()
  list() {
    return this.teams.list();
  }

  @Post(':id/api-keys')
  @ApiOperation({ summary: 'Create an API key for a team; the key is shown only in this response' })
  async createKey(@Param('id', ParseUUIDPipe) id: string, @Body() body: CreateApiKeyDto) {
    const team = await this.teams.findById(id);
    if (!team) throw new NotFoundException(`Team ${id} not found`);
    const { key, entity } = await this.teams.createApiKey(team.id, body.name);
    return { id: entity.id, teamId: team.id, name: entity.name, prefix: entity.prefix, key };
  }
}
