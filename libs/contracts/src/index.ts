export * from './jobs';
export * from './queues';
export * from './models';
export * from './trainability';
export * from './provenance';
export * from './api';
