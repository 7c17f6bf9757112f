export * from './config';
export * from './conv';
export * from './decoder';
export * from './encoder';
export * from './evaluate';
export * from './model';
export * from './quantizer';
export * from './train';
