export * from './stage1';
export * from './training';
export * from './prior';
export * from './sampling';
export * from './ess';
export * from './parallel';
