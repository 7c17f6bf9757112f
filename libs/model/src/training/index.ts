export * from './adamw';
export * from './batching';
export * from './layers';
export * from './loop';
export * from './schedule';
export * from './variables';
export * from './state';
