import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { liveSchema, readySchema } from '@maskgen/contracts';
import { JobQueueRepository } from '@maskgen/queues';
import { Public } from '../public.decorator';
import { ZodResponse } from '../zod-validation';

const CHECK_TIMEOUT_MS = 3_000;

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly jobQueues: JobQueueRepository,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'The process is up (no dependency checks)' })
  @ZodResponse(200, liveSchema)
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'The database and the queue backend answer' })
  @ZodResponse(200, readySchema)
  @ZodResponse(503, readySchema, { description: 'A dependency is down' })
  ready() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: CHECK_TIMEOUT_MS }),
      async () => {
        const indicator = this.indicators.check('queue');
        try {
          await Promise.race([
            this.jobQueues.ping(),
            new Promise((_, reject) =>
              setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS).unref(),
            ),
          ]);
          return indicator.up();
        } catch (error) {
          return indicator.down({ message: error instanceof Error ? error.message : String(error) });
        }
      },
    ]);
  }
}
