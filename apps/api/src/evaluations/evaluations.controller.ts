import { Controller } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import {
  createEvaluationRequestSchema,
  evaluationPageSchema,
  evaluationSchema,
  listEvaluationsQuerySchema,
} from '@maskgen/contracts';
import type { TeamEntity } from '@maskgen/persistence';
import { ZodBody, ZodQuery } from '@maskgen/runtime';
import type { z } from 'zod';
import { CurrentTeam } from '../auth/current-team.decorator';
import { Create, IdParam, Read } from '../common/routes';
import { EvaluationsService } from './evaluations.service';

@ApiTags('evaluations')
@ApiSecurity('api-key')
@Controller('evaluations')
export class EvaluationsController {
  constructor(private readonly evaluations: EvaluationsService) {}

  @Create({
    status: 202,
    summary: 'Evaluate a run, or a real split, against the real test split (FID, IS, CAS, ROCKET FID, …)',
    schema: evaluationSchema,
  })
  create(
    @CurrentTeam() team: TeamEntity,
    @ZodBody(createEvaluationRequestSchema) body: z.output<typeof createEvaluationRequestSchema>,
  ) {
    return this.evaluations.create(team, body);
  }

  @Read(undefined, evaluationPageSchema)
  list(
    @CurrentTeam() team: TeamEntity,
    @ZodQuery(listEvaluationsQuerySchema) query: z.output<typeof listEvaluationsQuerySchema>,
  ) {
    return this.evaluations.list(team, query);
  }

  @Read(':id', evaluationSchema)
  get(@CurrentTeam() team: TeamEntity, @IdParam() id: string) {
    return this.evaluations.get(team, id);
  }
}
