import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from './migrations';
import { ENTITIES } from './entities';

export interface DatabaseOptions {
  url: string;
  poolSize?: number;
  /** Name shown in pg_stat_activity, so operators can tell api, worker and migrations apart. */
  applicationName?: string;
}

export function dataSourceOptions(options: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    // gen_random_uuid() is built into PostgreSQL 13+, no extension needed.
    uuidExtension: 'pgcrypto',
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    // The schema only ever changes through migrations.
    synchronize: false,
    migrationsRun: false,
    applicationName: options.applicationName ?? 'maskgen',
    extra: { max: options.poolSize ?? 10 },
  };
}

export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource(dataSourceOptions(options));
}
