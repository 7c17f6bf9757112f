import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { TeamEntity } from '@maskgen/persistence';
import { CurrentTeam } from '../auth/current-team.decorator';
import { Idempotent } from '../common/idempotency';
import { CreateEvaluationDto, ListEvaluationsQuery } from './evaluations.dto';
import { EvaluationsService } from './evaluations.service';

@ApiTags('evaluations')
@ApiSecurity('api-key')
@Controller('evaluations')
export class EvaluationsController {
  constructor(private readonly evaluations: EvaluationsService) {}

  @Post()
  @HttpCode(202)
  @Idempotent()
  @ApiOperation({
    summary: 'Evaluate a run, or a real split, against the real test split (FID, IS, CAS, ROCKET FID, …)',
  })
  create(@CurrentTeam() team: TeamEntity, @Body() body: CreateEvaluationDto) {
    return this.evaluations.create(team, body);
  }

  @Get()
  list(@CurrentTeam() team: TeamEntity, @Query() query: ListEvaluationsQuery) {
    return this.evaluations.list(team, query);
  }

  @Get(':id')
  get(@CurrentTeam() team: TeamEntity, @Param('id', ParseUUIDPipe) id: string) {
    return this.evaluations.get(team, id);
  }
}
