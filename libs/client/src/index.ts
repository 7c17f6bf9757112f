export * from './client';
export * from './types';
export * from './labels';
export * from './metrics';
// The one import-free file of libs/contracts, so the API, CLI and dashboard share the profiles and their default.
export * from '../../contracts/src/training-profiles';
// Import-free as well: what produced a run's samples, the shape the API returns.
export * from '../../contracts/src/provenance';
