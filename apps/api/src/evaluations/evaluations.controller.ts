import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import {
  createEvaluationRequestSchema,
  evaluationPageSchema,
  evaluationSchema,
  listEvaluationsQuerySchema,
} from '@maskgen/contracts';
import type { TeamEntity } from '@maskgen/persistence';
import { ZodBody, ZodQuery, ZodResponse } from '@maskgen/runtime';
import type { z } from 'zod';
import { CurrentTeam } from '../auth/current-team.decorator';
import { Idempotent } from '../common/idempotency';
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
  @ZodResponse(202, evaluationSchema)
  create(
    @CurrentTeam() team: TeamEntity,
    @ZodBody(createEvaluationRequestSchema) body: z.output<typeof createEvaluationRequestSchema>,
  ) {
    return this.evaluations.create(team, body);
  }

  @Get()
  @ZodResponse(200, evaluationPageSchema)
  list(
    @CurrentTeam() team: TeamEntity,
    @ZodQuery(listEvaluationsQuerySchema) query: z.output<typeof listEvaluationsQuerySchema>,
  ) {
    return this.evaluations.list(team, query);
  }

  @Get(':id')
  @ZodResponse(200, evaluationSchema)
  get(@CurrentTeam() team: TeamEntity, @Param('id', ParseUUIDPipe) id: string) {
    return this.evaluations.get(team, id);
  }
}
