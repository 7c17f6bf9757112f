export * from './client';
export * from './types';
export * from './labels';
