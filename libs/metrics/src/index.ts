export * from './cas';
export * from './evaluate';
export * from './fcn';
export * from './frechet';
export * from './inception';
export * from './rocket';
