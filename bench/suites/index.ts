import { type BenchSuite } from '../types';
import { apiLoadSuite } from './api-load';
import { essSuite } from './ess';
import { localResponsivenessSuite } from './local-responsiveness';
import { matmulSuite } from './matmul';
import { metricsSuite } from './metrics';
import { modelReadySuite } from './model-ready';
import { modelSamplingSuite } from './model-sampling';
import { naiveSuite } from './naive';
import { queuesSuite } from './queues';
import { samplingSuite } from './sampling';
import { stage1Suite } from './stage1';
import { stftSuite } from './stft';
import { trainingSuite } from './training';

/** Every benchmark suite, in run order. Model work adds its suites here. */
export const BENCH_SUITES: readonly BenchSuite[] = [
  matmulSuite,
  stftSuite,
  stage1Suite,
  naiveSuite,
  metricsSuite,
  essSuite,
  modelSamplingSuite,
  queuesSuite,
  localResponsivenessSuite,
  apiLoadSuite,
  trainingSuite,
  modelReadySuite,
  // Last, so a full run ends with its verdict line (sampling: naive X/s, ess Y/s, ort/tfjs Zx).
  samplingSuite,
];
