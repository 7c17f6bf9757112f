export * from './data-source';
export * from './embedded-postgres';
export * from './entities';
export * from './migrate';
export * from './persistence.module';
export * from './repositories/run.repository';
export * from './repositories/sample.repository';
export * from './repositories/team.repository';
