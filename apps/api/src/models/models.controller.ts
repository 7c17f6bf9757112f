import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { TeamEntity } from '@maskgen/persistence';
import { CurrentTeam } from '../auth/current-team.decorator';
import { Idempotent } from '../common/idempotency';
import { CreateModelDto, ListModelsQuery } from './models.dto';
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
  create(@CurrentTeam() team: TeamEntity, @Body() body: CreateModelDto) {
    return this.models.create(team, body);
  }

  @Get()
  list(@CurrentTeam() team: TeamEntity, @Query() query: ListModelsQuery) {
    return this.models.list(team, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Status, training progress (stage, step, loss, per-stage history) and metrics' })
  get(@CurrentTeam() team: TeamEntity, @Param('id', ParseUUIDPipe) id: string) {
    return this.models.get(team, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop a pending or training model' })
  cancel(@CurrentTeam() team: TeamEntity, @Param('id', ParseUUIDPipe) id: string) {
    return this.models.cancel(team, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a model and its checkpoints; 409 while it trains or active runs use it' })
  async remove(@CurrentTeam() team: TeamEntity, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.models.remove(team, id);
  }
}
