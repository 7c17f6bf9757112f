import { Client, type ClientConfig } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from './migrations';
import { ENTITIES } from './entities';

export interface DatabaseOptions {
  url: string;
  poolSize?: number;
  /** Name shown in pg_stat_activity, so operators can tell api, worker and migrations apart. */
  applicationName?: string;
}

/**
 * A pg client that always has an 'error' listener. pg-pool removes its own listener from a client while it is checked
 * out, and TypeORM's query runner removes its listener when it releases itself after a first error; a second error on
 * that connection (pg_terminate_backend, a server restart: the FATAL message, then the socket closing) then had no
 * listener and killed the process (an uncaught 'error' event; both workers died in worker-db-faults). The error
 * needs no handling here: the query in flight rejects with it, and the pool drops the broken client.
 */
export class ListenedClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    this.on('error', () => undefined);
  }
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
    extra: { max: options.poolSize ?? 10, Client: ListenedClient },
  };
}

export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource(dataSourceOptions(options));
}
