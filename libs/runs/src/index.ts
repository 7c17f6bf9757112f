export * from './failure-policy';
export * from './model-lifecycle';
export * from './model-store';
export * from './run-lifecycle';
export * from './run-store';
export * from './runs.module';
export * from './run-reconciler';
export * from './training-progress';
