export * from './core.module';
export * from './http-app';
export * from './shutdown';
export * from './public.decorator';
export * from './json-depth';
export * from './unavailable.filter';
