export * from './logger';
export * from './logging.module';
export * from './code-version';
export * from './nest-logger';
