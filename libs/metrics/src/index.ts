export * from './bootstrap';
export * from './cas';
export * from './classes';
export * from './evaluate';
export * from './fcn';
export * from './frechet';
export * from './inception';
export * from './rocket';
