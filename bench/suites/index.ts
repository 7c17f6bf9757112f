import { type BenchSuite } from '../types';
import { matmulSuite } from './matmul';
import { stftSuite } from './stft';

/** Every benchmark suite, in run order. Model work adds its suites here. */
export const BENCH_SUITES: readonly BenchSuite[] = [matmulSuite, stftSuite];
