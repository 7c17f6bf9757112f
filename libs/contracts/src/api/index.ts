/** The HTTP API's wire shapes: one zod schema per request and response, for Nest, OpenAPI and libs/client. */
export * from './values';
export * from './common';
export * from './runs';
export * from './models';
export * from './datasets';
export * from './evaluations';
export * from './schedules';
export * from './admin';
export * from './health';
