export * from './core.module';
export * from './http-app';
export * from './shutdown';
export * from './public.decorator';
export * from './json-depth';
export * from './unavailable.filter';
export * from './zod-validation';
export * from './zod-openapi';
