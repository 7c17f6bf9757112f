import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, type AppConfig } from '@maskgen/config';
import { LoggingModule } from '@maskgen/observability';
import { PersistenceModule } from '@maskgen/persistence';
import { QueuesModule } from '@maskgen/queues';
import type { Logger } from 'pino';
import { HealthModule } from './health/health.module';

export interface CoreOptions {
  config: AppConfig;
  /** Resolved database URL: the configured one, or the embedded cluster's in local mode. */
  databaseUrl: string;
  logger: Logger;
  applicationName: string;
}

/** Everything every maskgen process needs: config, logging, database, queues and health endpoints. */
@Module({})
export class CoreModule {
  static forRoot(options: CoreOptions): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        ConfigModule.forRoot(options.config),
        LoggingModule.forRoot(options.logger),
        PersistenceModule.forRoot({
          url: options.databaseUrl,
          poolSize: options.config.database.poolSize,
          applicationName: options.applicationName,
        }),
        QueuesModule.forRoot(options.config, options.databaseUrl),
        HealthModule,
      ],
    };
  }
}
