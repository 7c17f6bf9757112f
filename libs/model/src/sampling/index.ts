export * from './decode';
export * from './helpers';
export * from './naive';
export * from './runner';
