import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import {
  createModelRequestSchema,
  listModelsQuerySchema,
  modelPageSchema,
  modelSchema,
} from '@maskgen/contracts';
import type { TeamEntity } from '@maskgen/persistence';
import { ZodBody, ZodQuery, ZodResponse } from '@maskgen/runtime';
import type { z } from 'zod';
import { CurrentTeam } from '../auth/current-team.decorator';
import { Idempotent } from '../common/idempotency';
import { ModelsService } from './models.service';

@ApiTags('models')
@ApiSecurity('api-key')
@Controller('models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Post()
  @HttpCode(202)
  @Idempotent()
  @ApiOperation({
    summary: 'Train a model: a flow of four jobs on the train queue (stage1 → prior → critic → classifier)',
  })
  @ZodResponse(202, modelSchema)
  create(
    @CurrentTeam() team: TeamEntity,
    @ZodBody(createModelRequestSchema) body: z.output<typeof createModelRequestSchema>,
  ) {
    return this.models.create(team, body);
  }

  @Get()
  @ZodResponse(200, modelPageSchema)
  list(
    @CurrentTeam() team: TeamEntity,
    @ZodQuery(listModelsQuerySchema) query: z.output<typeof listModelsQuerySchema>,
  ) {
    return this.models.list(team, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Status, training progress (stage, step, loss, per-stage history) and metrics' })
  @ZodResponse(200, modelSchema)
  get(@CurrentTeam() team: TeamEntity, @Param('id', ParseUUIDPipe) id: string) {
    return this.models.get(team, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop a pending or training model' })
  @ZodResponse(200, modelSchema)
  cancel(@CurrentTeam() team: TeamEntity, @Param('id', ParseUUIDPipe) id: string) {
    return this.models.cancel(team, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a model and its checkpoints; 409 while it trains or active runs use it' })
  @ZodResponse(204)
  async remove(@CurrentTeam() team: TeamEntity, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.models.remove(team, id);
  }
}
