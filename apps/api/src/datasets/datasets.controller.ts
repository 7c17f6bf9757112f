import { BadRequestException, Controller, Post, UploadedFiles, UseInterceptors } from '@nestjs/common';
import { FileFieldsInterceptor } from '@nestjs/platform-express';
import { ApiConsumes, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import {
  builtinDatasetRequestSchema,
  datasetPageSchema,
  datasetSchema,
  datasetSeriesPageSchema,
  pageQuerySchema,
  seriesQuerySchema,
  syntheticDatasetRequestSchema,
  uploadDatasetRequestSchema,
  type PageQuery,
} from '@maskgen/contracts';
import { DatasetRepository, type TeamEntity } from '@maskgen/persistence';
import { ZodBody, ZodQuery, ZodResponse } from '@maskgen/runtime';
import type { z } from 'zod';
import { CurrentTeam } from '../auth/current-team.decorator';
import { Idempotent } from '../common/idempotency';
import { Create, IdParam, Read, Remove } from '../common/routes';
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
  @ZodResponse(201, datasetSchema)
  upload(
    @CurrentTeam() team: TeamEntity,
    @ZodBody(uploadDatasetRequestSchema, { files: ['train', 'test'] })
    body: z.output<typeof uploadDatasetRequestSchema>,
    @UploadedFiles() files: { train?: UploadedFile[]; test?: UploadedFile[] } | undefined,
  ) {
    const train = files?.train?.[0];
    const test = files?.test?.[0];
    if (!train || !test) throw new BadRequestException('Both a `train` and a `test` file are required');
    return this.service.upload(team, body, train, test);
  }

  @Create({
    path: 'synthetic',
    status: 201,
    summary: 'Create a dataset from a built-in synthetic generator (seeded)',
    schema: datasetSchema,
  })
  synthetic(
    @CurrentTeam() team: TeamEntity,
    @ZodBody(syntheticDatasetRequestSchema) body: z.output<typeof syntheticDatasetRequestSchema>,
  ) {
    return this.service.synthetic(team, body);
  }

  @Create({
    path: 'builtin',
    status: 201,
    summary: 'Import one of the UCR datasets shipped with maskgen',
    schema: datasetSchema,
  })
  builtin(
    @CurrentTeam() team: TeamEntity,
    @ZodBody(builtinDatasetRequestSchema) body: z.output<typeof builtinDatasetRequestSchema>,
  ) {
    return this.service.builtin(team, body);
  }

  @Read(undefined, datasetPageSchema)
  async list(@CurrentTeam() team: TeamEntity, @ZodQuery(pageQuerySchema) query: PageQuery) {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 50;
    const [items, total] = await this.datasets.listForTeam(team.id, offset, limit);
    return { items, total, offset, limit };
  }

  @Read(':id', datasetSchema)
  get(@CurrentTeam() team: TeamEntity, @IdParam() id: string) {
    return this.service.get(team, id);
  }

  @Read(':id/series', datasetSeriesPageSchema, 'A page of series of one split (for previews)')
  async series(
    @CurrentTeam() team: TeamEntity,
    @IdParam() id: string,
    @ZodQuery(seriesQuerySchema) query: z.output<typeof seriesQuerySchema>,
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

  @Remove(':id', 'Delete a dataset; refused (409) while a model uses it')
  async remove(@CurrentTeam() team: TeamEntity, @IdParam() id: string): Promise<void> {
    await this.service.remove(team, id);
  }
}
