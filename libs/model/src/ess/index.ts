export * from './config';
export * from './critic';
export * from './reverse';
export * from './resample';
export * from './sampler';
export * from './evaluate';
export * from './false-positives';
