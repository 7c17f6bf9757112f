export { type Dataset, type TrainTestDataset, classCounts, flattenValues } from './dataset';
export { DatasetParseError, type ParseLocation } from './errors';
export {
  BUILTIN_UCR_DATASETS,
  BUILTIN_UCR_DIR,
  type BuiltinUcrName,
  findUcrDataset,
  isBuiltinUcrName,
  loadBuiltinUcr,
  loadUcrDataset,
  loadUcrFiles,
  locateUcrFiles,
  UcrDatasetNotFoundError,
  type UcrFiles,
} from './files';
export { canonicalLabel, fitClassNames } from './labels';
export {
  DEFAULT_PARSE_LIMITS,
  type LengthPolicy,
  type MissingValuePolicy,
  type ParseLimits,
  type UcrFormat,
  type UcrParseOptions,
} from './options';
export {
  parseUcrSplit,
  parseUcrTrainTest,
  parseUcrTrainTestStreams,
  type UcrSource,
  type UcrStreamSource,
  type UcrSplitOptions,
  type UcrTrainTestOptions,
} from './parse';
export {
  applyScaling,
  fitGlobalScaling,
  inverseScaleSeries,
  scaleTrainTest,
  type ScaledTrainTest,
  type ScalingOptions,
  type ScalingParams,
  zNormalizeEachSeries,
} from './scaling';
export { interpolateMissing, resampleLinear } from './series-ops';
export {
  generateSyntheticDataset,
  generateSyntheticTrainTest,
  isSyntheticGeneratorName,
  type SyntheticGenerator,
  type SyntheticGeneratorName,
  type SyntheticParams,
  type SyntheticTrainTestParams,
  syntheticGenerators,
  syntheticLimitViolation,
} from './synthetic/registry';
