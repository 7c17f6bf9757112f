import { Controller } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import {
  createModelRequestSchema,
  listModelsQuerySchema,
  modelPageSchema,
  modelSchema,
} from '@maskgen/contracts';
import type { TeamEntity } from '@maskgen/persistence';
import { ZodBody, ZodQuery } from '@maskgen/runtime';
import type { z } from 'zod';
import { CurrentTeam } from '../auth/current-team.decorator';
import { Action, Create, IdParam, Read, Remove } from '../common/routes';
import { ModelsService } from './models.service';

@ApiTags('models')
@ApiSecurity('api-key')
@Controller('models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Create({
    status: 202,
    summary: 'Train a model: a flow of four jobs on the train queue (stage1 → prior → critic → classifier)',
    schema: modelSchema,
  })
  create(
    @CurrentTeam() team: TeamEntity,
    @ZodBody(createModelRequestSchema) body: z.output<typeof createModelRequestSchema>,
  ) {
    return this.models.create(team, body);
  }

  @Read(undefined, modelPageSchema)
  list(
    @CurrentTeam() team: TeamEntity,
    @ZodQuery(listModelsQuerySchema) query: z.output<typeof listModelsQuerySchema>,
  ) {
    return this.models.list(team, query);
  }

  @Read(':id', modelSchema, 'Status, training progress (stage, step, loss, per-stage history) and metrics')
  get(@CurrentTeam() team: TeamEntity, @IdParam() id: string) {
    return this.models.get(team, id);
  }

  @Action('cancel', modelSchema, 'Stop a pending or training model')
  cancel(@CurrentTeam() team: TeamEntity, @IdParam() id: string) {
    return this.models.cancel(team, id);
  }

  @Remove(':id', 'Delete a model and its checkpoints; 409 while it trains or active runs use it')
  async remove(@CurrentTeam() team: TeamEntity, @IdParam() id: string): Promise<void> {
    await this.models.remove(team, id);
  }
}
