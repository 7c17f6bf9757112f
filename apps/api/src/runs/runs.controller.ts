import { Controller, BadRequestException, Get, NotFoundException, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import {
  MetricRepository,
  SampleRepository,
  bytesToFloat32,
  bytesToInt32,
  criticSummaryOf,
  type TeamEntity,
} from '@maskgen/persistence';
import {
  SAMPLE_EXPORT_MEDIA,
  compareRunsQuerySchema,
  createRunRequestSchema,
  criticScoresJson,
  criticScoresSchema,
  listRunsQuerySchema,
  runComparisonSchema,
  runMetricsSchema,
  runPageSchema,
  runSchema,
  samplePageSchema,
  samplesQuerySchema,
  type CreateRunInput,
  type SamplePage,
} from '@maskgen/contracts';
import { ZodBody, ZodQuery, ZodResponse } from '@maskgen/runtime';
import type { Response } from 'express';
import type { z } from 'zod';
import { CurrentTeam } from '../auth/current-team.decorator';
import { Action, Create, IdParam, Read } from '../common/routes';
import { ParseIndexPipe } from '../common/int-bounds';
import { parseCompareGroups } from './run-comparison';
import { RunsService } from './runs.service';
import { csvHeader, csvRow, npyHeader, writeChunk } from './sample-export';

const JSON_PAGE_DEFAULT = 100;
const JSON_PAGE_MAX = 1000;

@ApiTags('runs')
@ApiSecurity('api-key')
@Controller('runs')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly samples: SampleRepository,
    private readonly metrics: MetricRepository,
  ) {}

  @Create({
    status: 201,
    summary: 'Start a generation run: shards on the generate queue, then a finalising job',
    schema: runSchema,
  })
  create(@CurrentTeam() team: TeamEntity, @ZodBody(createRunRequestSchema) body: CreateRunInput) {
    return this.runs.create(team, body);
  }

  @Read(
    'compare',
    runComparisonSchema,
    'Runs side by side with the latest value of each metric (e.g. naive vs ESS)',
  )
  compare(
    @CurrentTeam() team: TeamEntity,
    @ZodQuery(compareRunsQuerySchema) query: z.output<typeof compareRunsQuerySchema>,
    @Query('ids') raw: unknown,
  ) {
    // The validated ids are flat; the raw text keeps the ';' between groups.
    return this.runs.compare(team, query.ids, typeof raw === 'string' ? parseCompareGroups(raw) : undefined);
  }

  @Read(undefined, runPageSchema)
  list(
    @CurrentTeam() team: TeamEntity,
    @ZodQuery(listRunsQuerySchema) query: z.output<typeof listRunsQuerySchema>,
  ) {
    return this.runs.list(
      team,
      { status: query.status, kind: query.kind },
      query.offset ?? 0,
      query.limit ?? 50,
    );
  }

  @Read(':id', runSchema)
  get(@CurrentTeam() team: TeamEntity, @IdParam() id: string) {
    return this.runs.get(team, id);
  }

  @Action('cancel', runSchema, 'Cancel a queued or running run; samples already stored are kept')
  cancel(@CurrentTeam() team: TeamEntity, @IdParam() id: string) {
    return this.runs.cancel(team, id);
  }

  @Action('retry', runSchema, 'Re-enqueue the shards of a failed run that did not succeed')
  retry(@CurrentTeam() team: TeamEntity, @IdParam() id: string) {
    return this.runs.retry(team, id);
  }

  @Read(':id/metrics', runMetricsSchema)
  async runMetrics(@CurrentTeam() team: TeamEntity, @IdParam() id: string) {
    const run = await this.runs.owned(team, id);
    return { runId: run.id, items: await this.metrics.forRun(run.id) };
  }

  @Get(':id/samples/:index/critic')
  @ApiOperation({
    summary: 'Per-token critic scores of one sample of a model run (404 when none are stored)',
  })
  @ZodResponse(200, criticScoresSchema)
  async critic(
    @CurrentTeam() team: TeamEntity,
    @IdParam() id: string,
    @Param('index', ParseIndexPipe) index: number,
  ) {
    const run = await this.runs.owned(team, id);
    const stored = await this.samples.criticScores(run.id, index);
    if (!stored) throw new NotFoundException(`No critic scores stored for sample ${index} of run ${id}`);
    return criticScoresJson(stored);
  }

  @Get(':id/samples')
  @ApiOperation({ summary: 'Samples in index order: JSON pages, or a streamed CSV / NumPy .npy export' })
  @ZodResponse(200, samplePageSchema, {
    description: 'format json: a page of samples; csv and npy: the samples as a file',
    content: { [SAMPLE_EXPORT_MEDIA.csv]: {}, [SAMPLE_EXPORT_MEDIA.npy]: { format: 'binary' } },
  })
  async exportSamples(
    @CurrentTeam() team: TeamEntity,
    @IdParam() id: string,
    @ZodQuery(samplesQuerySchema) query: z.output<typeof samplesQuerySchema>,
    @Res() response: Response,
  ): Promise<void> {
    const run = await this.runs.owned(team, id);
    const sampler = run.params.sampler as { length?: number } | undefined;
    // Model runs store their dataset's series length; synthetic samplers carry it.
    const seriesLength =
      typeof run.params.seriesLength === 'number' ? run.params.seriesLength : (sampler?.length ?? 0);
    const format = query.format ?? 'json';
    const offset = query.offset ?? 0;
    if (query.worse !== undefined && format !== 'json') {
      throw new BadRequestException('worse filters JSON pages only; export the run and filter the JSON');
    }
    const worse = query.worse === true;
    const stored = worse
      ? await this.samples.countWorseUnderEss(run.id)
      : await this.samples.countByRun(run.id);

    if (format === 'json') {
      const limit = Math.min(query.limit ?? JSON_PAGE_DEFAULT, JSON_PAGE_MAX);
      const page = await this.samples.findByRunIndexRange(run.id, offset, limit, { worseUnderEss: worse });
      response.json({
        runId: run.id,
        total: stored,
        offset,
        limit,
        items: page.map((sample) => ({
          index: sample.sampleIndex,
          shard: sample.shardIndex,
          classIndex: sample.classIndex,
          values: Array.from(bytesToFloat32(sample.values)),
          critic: criticSummaryOf(sample),
          // Final token ids of model samples (frequency-major grids); null for synthetic samplers.
          tokens:
            sample.tokensLf === null || sample.tokensHf === null
              ? null
              : {
                  lf: Array.from(bytesToInt32(sample.tokensLf)),
                  hf: Array.from(bytesToInt32(sample.tokensHf)),
                },
        })),
      } satisfies SamplePage);
      return;
    }

    // The row count is fixed up front (the .npy header states the shape), so rows
    // stored while the export runs are not included.
    const count = await this.samples.countInIndexRange(
      run.id,
      offset,
      query.limit ?? Number.MAX_SAFE_INTEGER,
    );
    const filename = `run-${run.id}-samples.${format}`;
    response.setHeader('content-disposition', `attachment; filename="${filename}"`);
    response.setHeader(
      'content-type',
      format === 'csv' ? 'text/csv; charset=utf-8' : 'application/octet-stream',
    );
    response.setHeader('x-sample-count', String(count));
    await writeChunk(response, format === 'csv' ? csvHeader(seriesLength) : npyHeader(count, seriesLength));
    let written = 0;
    for await (const batch of this.samples.streamByRun(run.id, { fromIndex: offset })) {
      const rows = batch.slice(0, count - written);
      const chunk =
        format === 'csv'
          ? rows.map(csvRow).join('')
          : Buffer.concat(rows.map((sample) => Buffer.from(sample.values)));
      written += rows.length;
      if (!(await writeChunk(response, chunk)) || written >= count) break;
    }
    response.end();
  }
}
