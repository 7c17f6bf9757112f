export * from './cas';
export * from './fcn';
export * from './frechet';
export * from './inception';
export * from './rocket';
