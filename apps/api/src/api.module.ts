import os from 'node:os';
import path from 'node:path';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MulterModule } from '@nestjs/platform-express';
import { APP_CONFIG, type AppConfig } from '@maskgen/config';
import { QUEUE_NAMES } from '@maskgen/contracts';
import { RunsModule } from '@maskgen/runs';
import { adminOnlyMiddleware } from './admin/queue-dashboard';
import { TeamsAdminController } from './admin/teams.controller';
import { ApiKeyGuard } from './auth/api-key.guard';
import { DatasetsController } from './datasets/datasets.controller';
import { DatasetsService } from './datasets/datasets.service';
import { UploadSlots } from './datasets/upload-slots';
import { EventsController } from './events/events.controller';
import { EvaluationsController } from './evaluations/evaluations.controller';
import { EvaluationsService } from './evaluations/evaluations.service';
import { ModelsController } from './models/models.controller';
import { ModelsService } from './models/models.service';
import { MetricsController } from './observability/metrics.controller';
import { RunsController } from './runs/runs.controller';
import { RunsService } from './runs/runs.service';
import { SchedulesController } from './schedules/schedules.controller';

/** The HTTP surface: every route needs an API key unless marked @Public. */
@Module({
  imports: [
    RunsModule,
    BullBoardModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        route: '/admin/queues',
        adapter: ExpressAdapter,
        middleware: adminOnlyMiddleware(config.api.adminApiKey),
      }),
    }),
    BullBoardModule.forFeature(...QUEUE_NAMES.map((name) => ({ name, adapter: BullMQAdapter }))),
    MulterModule.registerAsync({
      inject: [APP_CONFIG],
      // Uploads go to disk and are parsed from there line by line (UploadSlots bounds how many at once and
      // deletes them): memory never holds a file's bytes.
      useFactory: (config: AppConfig) => ({
        dest: path.join(os.tmpdir(), 'maskgen-uploads'),
        limits: { fileSize: config.api.uploadMaxBytes, files: 2, fields: 10, parts: 12 },
      }),
    }),
  ],
  controllers: [
    TeamsAdminController,
    DatasetsController,
    ModelsController,
    RunsController,
    EvaluationsController,
    SchedulesController,
    MetricsController,
    EventsController,
  ],
  providers: [
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    DatasetsService,
    UploadSlots,
    ModelsService,
    RunsService,
    EvaluationsService,
  ],
})
export class ApiModule {}
