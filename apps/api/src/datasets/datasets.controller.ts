import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  UploadedFiles,
  UseInterceptors,
} from '@nestjs/common';
import { FileFieldsInterceptor } from '@nestjs/platform-express';
import { ApiConsumes, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { DatasetRepository, type TeamEntity } from '@maskgen/persistence';
import { CurrentTeam } from '../auth/current-team.decorator';
import { Idempotent } from '../common/idempotency';
import { PageQuery } from '../common/page.query';
import { BuiltinDatasetDto, SeriesQuery, SyntheticDatasetDto, UploadDatasetDto } from './datasets.dto';
import { DatasetsService } from './datasets.service';
import { UploadSlots, type UploadedFile } from './upload-slots';

@ApiTags('datasets')
@ApiSecurity('api-key')
@Controller('datasets')
export class DatasetsController {
  constructor(
    private readonly service: DatasetsService,
    private readonly datasets: DatasetRepository,
  ) {}

  @Post('upload')
  @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: 'Upload a UCR dataset: `train` and `test` files (.tsv or .ts), plus `name`' })
  // Above the file interceptor: the files are parsed first and count in the request's fingerprint.
  @Idempotent()
  @UseInterceptors(
    UploadSlots,
    FileFieldsInterceptor([
      { name: 'train', maxCount: 1 },
      { name: 'test', maxCount: 1 },
    ]),
  )
  upload(
    @CurrentTeam() team: TeamEntity,
    @Body() body: UploadDatasetDto,
    @UploadedFiles() files: { train?: UploadedFile[]; test?: UploadedFile[] } | undefined,
  ) {
    const train = files?.train?.[0];
    const test = files?.test?.[0];
    if (!train || !test) throw new BadRequestException('Both a `train` and a `test` file are required');
    return this.service.upload(team, body, train, test);
  }

  @Post('synthetic')
  @Idempotent()
  @ApiOperation({ summary: 'Create a dataset from a built-in synthetic generator (seeded)' })
  synthetic(@CurrentTeam() team: TeamEntity, @Body() body: SyntheticDatasetDto) {
    return this.service.synthetic(team, body);
  }

  @Post('builtin')
  @Idempotent()
  @ApiOperation({ summary: 'Import one of the UCR datasets shipped with maskgen' })
  builtin(@CurrentTeam() team: TeamEntity, @Body() body: BuiltinDatasetDto) {
    return this.service.builtin(team, body);
  }

  @Get()
  async list(@CurrentTeam() team: TeamEntity, @Query() query: PageQuery) {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 50;
    const [items, total] = await this.datasets.listForTeam(team.id, offset, limit);
    return { items, total, offset, limit };
  }

  @Get(':id')
  get(@CurrentTeam() team: TeamEntity, @Param('id', ParseUUIDPipe) id: string) {
    return this.service.get(team, id);
  }

  @Get(':id/series')
  @ApiOperation({ summary: 'A page of series of one split (for previews)' })
  async series(
    @CurrentTeam() team: TeamEntity,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: SeriesQuery,
  ) {
    const dataset = await this.service.get(team, id);
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 50;
    const split = query.split ?? 'train';
    const items = await this.datasets.series(dataset.id, split, offset, limit);
    return {
      datasetId: dataset.id,
      split,
      offset,
      limit,
      total: split === 'train' ? dataset.trainCount : dataset.testCount,
      items: items.map((item) => ({ ...item, values: Array.from(item.values) })),
    };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a dataset; refused (409) while a model uses it' })
  async remove(@CurrentTeam() team: TeamEntity, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.service.remove(team, id);
  }
}
