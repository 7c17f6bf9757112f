export * from './failure-policy';
export * from './run-lifecycle';
export * from './run-store';
export * from './runs.module';
export * from './run-reconciler';
