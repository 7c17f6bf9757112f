export * from './backend';
export * from './checkpoint';
export * from './random';
export * from './stft';
