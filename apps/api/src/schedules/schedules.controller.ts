import {
  BadRequestException,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Put,
} from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '@maskgen/config';
import {
  JobName,
  QueueName,
  putScheduleRequestSchema,
  scheduleHistorySchema,
  scheduleListSchema,
  scheduleNameSchema,
  scheduleSchema,
} from '@maskgen/contracts';
import { MetricRepository, ModelRepository, RunRepository, type TeamEntity } from '@maskgen/persistence';
import { JobQueueRepository, QueueUnavailableError } from '@maskgen/queues';
import { ZodBody, ZodParam, ZodResponse } from '@maskgen/runtime';
import type { z } from 'zod';
import { CurrentTeam } from '../auth/current-team.decorator';
import { toRunTemplate } from '../runs/run-template';
import { InvalidCronError, shortestCronInterval } from './cron-interval';

const HISTORY_LIMIT = 100;
/** The schedule name of every route: checked before it reaches BullMQ or SQL (which refuses e.g. NUL). */
const ScheduleName = () => ZodParam('name', scheduleNameSchema);

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Cron schedules as BullMQ job schedulers, one per (team, name). PUT with the
 * same name replaces the schedule, so creating it twice leaves one.
 */
@ApiTags('schedules')
@ApiSecurity('api-key')
@Controller('schedules')
export class SchedulesController {
  constructor(
    private readonly jobs: JobQueueRepository,
    private readonly runs: RunRepository,
    private readonly metrics: MetricRepository,
    private readonly models: ModelRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private schedulerId(team: TeamEntity, name: string): string {
    return `team-${team.id}-${name}`;
  }

  @Put(':name')
  @ApiOperation({
    summary:
      'Create or replace a schedule that starts a generation run at every firing (model runs are evaluated after their shards)',
  })
  @ZodResponse(200, scheduleSchema)
  async put(
    @CurrentTeam() team: TeamEntity,
    @ScheduleName() name: string,
    @ZodBody(putScheduleRequestSchema) body: z.output<ReturnType<typeof putScheduleRequestSchema>>,
  ) {
    if (!isTimeZone(body.timezone)) throw new BadRequestException(`Unknown time zone "${body.timezone}"`);
    this.checkInterval(body.cron, body.timezone);
    const run = toRunTemplate(body.run);
    const sampler = body.run.sampler;
    if (sampler.kind === 'model') {
      const model = await this.models.findForTeam(sampler.modelId, team.id);
      if (!model) throw new NotFoundException(`Model ${sampler.modelId} not found`);
      if (model.status !== 'ready')
        throw new ConflictException(`Model ${sampler.modelId} is ${model.status}, not ready`);
    }
    try {
      await this.jobs.upsertScheduler(
        this.schedulerId(team, name),
        { pattern: body.cron, tz: body.timezone },
        {
          name: JobName.FireSchedule,
          data: {
            teamId: team.id,
            scheduleName: name,
            run,
          },
        },
      );
    } catch (error) {
      if (error instanceof QueueUnavailableError) throw error;
      throw new BadRequestException(
        `Invalid cron pattern "${body.cron}": ${error instanceof Error ? error.message : ''}`,
      );
    }
    return { name, cron: body.cron, timezone: body.timezone, run };
  }

  /** Refuses patterns that fire faster than SCHEDULE_MIN_INTERVAL_SECONDS (or that BullMQ cannot read). */
  private checkInterval(cron: string, timezone: string): void {
    const minSeconds = this.config.limits.scheduleMinIntervalSeconds;
    let shortestMs: number;
    try {
      shortestMs = shortestCronInterval(cron, timezone, minSeconds * 1000);
    } catch (error) {
      if (error instanceof InvalidCronError)
        throw new BadRequestException(`Invalid cron pattern "${cron}": ${error.message}`);
      throw error;
    }
    if (shortestMs < minSeconds * 1000) {
      throw new BadRequestException(
        `cron "${cron}" fires ${shortestMs / 1000} s apart; schedules may fire at most once every ${minSeconds} s (SCHEDULE_MIN_INTERVAL_SECONDS)`,
      );
    }
  }

  @Get()
  @ZodResponse(200, scheduleListSchema)
  async list(@CurrentTeam() team: TeamEntity) {
    const prefix = this.schedulerId(team, '');
    const schedulers = await this.jobs.listSchedulers(QueueName.Generate, prefix);
    return {
      items: schedulers.map((scheduler) => ({
        name: (scheduler.key ?? '').slice(prefix.length),
        cron: scheduler.pattern,
        timezone: scheduler.tz,
        nextRunAt: scheduler.next ? new Date(scheduler.next).toISOString() : null,
        run: (scheduler.template?.data as { run?: unknown } | undefined)?.run,
      })),
    };
  }

  @Get(':name/history')
  @ApiOperation({ summary: "Runs the schedule started, newest first, with each run's metrics" })
  @ZodResponse(200, scheduleHistorySchema)
  async history(@CurrentTeam() team: TeamEntity, @ScheduleName() name: string) {
    const runs = await this.runs.listBySchedule(team.id, name, HISTORY_LIMIT);
    if (runs.length === 0) {
      const prefix = this.schedulerId(team, '');
      const schedulers = await this.jobs.listSchedulers(QueueName.Generate, prefix);
      if (!schedulers.some((scheduler) => (scheduler.key ?? '') === this.schedulerId(team, name)))
        throw new NotFoundException(`Schedule ${name} not found`);
    }
    const metrics = await this.metrics.latestByRun(runs.map((run) => run.id));
    return runs.map((run) => ({
      runId: run.id,
      createdAt: run.createdAt,
      status: run.status,
      error: run.error,
      metrics: metrics.get(run.id) ?? {},
    }));
  }

  @Delete(':name')
  @HttpCode(204)
  @ZodResponse(204)
  async remove(@CurrentTeam() team: TeamEntity, @ScheduleName() name: string): Promise<void> {
    if (!(await this.jobs.removeScheduler(QueueName.Generate, this.schedulerId(team, name)))) {
      throw new NotFoundException(`Schedule ${name} not found`);
    }
  }
}
