export * from './config';
export * from './evaluate';
export * from './masking';
export * from './model';
export * from './network';
export * from './ops';
export * from './stage1';
export * from './train';
