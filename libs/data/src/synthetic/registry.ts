import { type Dataset, type TrainTestDataset } from '../dataset';
import { DEFAULT_PARSE_LIMITS } from '../options';
import { cbfSeries, CBF_CLASSES } from './cbf';
import { type RandomSource, seededRandom } from './random';
import { syntheticControlSeries, SYNTHETIC_CONTROL_CLASSES } from './synthetic-control';

export interface SyntheticParams {
  seed: string | number;
  /** Time steps per series; defaults to the generator's classic length. */
  length?: number;
  /** Series per class. Give this or `totalCount`; default 100 per class. */
  countPerClass?: number;
  /** Total series, spread over classes as evenly as possible (earlier classes get the remainder). */
  totalCount?: number;
}

export interface SyntheticTrainTestParams {
  seed: string | number;
  length?: number;
  trainPerClass: number;
  testPerClass: number;
}

export type SyntheticGeneratorName = 'cbf' | 'synthetic-control';

export interface SyntheticGenerator {
  name: SyntheticGeneratorName;
  description: string;
  citation: string;
  classNames: readonly string[];
  defaultLength: number;
  minLength: number;
  generate(params: SyntheticParams): Dataset;
}

type SeriesFunction = (classIndex: number, length: number, random: RandomSource) => Float32Array;

const MIN_LENGTH = 8;

function integerOutside(name: string, value: number, min: number, max: number): string | undefined {
  if (!Number.isInteger(value) || value < min || value > max) {
    return `${name} must be an integer in ${min}..${max}, got ${String(value)}`;
  }
  return undefined;
}

/**
 * Why a synthetic generator refuses `count` series of `length` steps, or undefined when it accepts them. The
 * generators throw this message; the API checks a run's largest shard with it at submit, so a run the worker
 * would refuse is never accepted.
 */
export function syntheticLimitViolation(count: number, length: number): string | undefined {
  return (
    integerOutside('length', length, MIN_LENGTH, DEFAULT_PARSE_LIMITS.maxSeriesLength) ??
    integerOutside('total series count', count, 1, DEFAULT_PARSE_LIMITS.maxRows) ??
    (count * length > DEFAULT_PARSE_LIMITS.maxTotalValues
      ? `count × length must be at most ${DEFAULT_PARSE_LIMITS.maxTotalValues}, got ${count} × ${length}`
      : undefined)
  );
}

function defineGenerator(
  spec: Omit<SyntheticGenerator, 'generate' | 'minLength'>,
  seriesFunction: SeriesFunction,
): SyntheticGenerator {
  const classCount = spec.classNames.length;
  return {
    ...spec,
    minLength: MIN_LENGTH,
    generate(params) {
      const length = params.length ?? spec.defaultLength;
      if (params.countPerClass !== undefined && params.totalCount !== undefined) {
        throw new RangeError('give countPerClass or totalCount, not both');
      }
      const total = params.totalCount ?? (params.countPerClass ?? 100) * classCount;
      const violation = syntheticLimitViolation(total, length);
      if (violation !== undefined) throw new RangeError(violation);
      const random = seededRandom(params.seed);
      const labels = new Int32Array(total);
      const values: Float32Array[] = [];
      // Classes interleave so every prefix of the dataset is balanced.
      for (let i = 0; i < total; i++) {
        labels[i] = i % classCount;
        values.push(seriesFunction(labels[i], length, random));
      }
      return {
        name: spec.name,
        source: `synthetic:${spec.name}?seed=${String(params.seed)}&length=${length}&count=${total}`,
        length,
        values,
        labels,
        classNames: [...spec.classNames],
      };
    },
  };
}

export const syntheticGenerators: Readonly<Record<SyntheticGeneratorName, SyntheticGenerator>> =
  Object.freeze({
    cbf: defineGenerator(
      {
        name: 'cbf',
        description:
          'Cylinder–Bell–Funnel: a noisy plateau, rising ramp or falling ramp at a random position.',
        citation:
          'N. Saito, "Local feature extraction and its applications using a library of bases", PhD thesis, Yale University, 1994.',
        classNames: CBF_CLASSES,
        defaultLength: 128,
      },
      cbfSeries,
    ),
    'synthetic-control': defineGenerator(
      {
        name: 'synthetic-control',
        description:
          'Control-chart patterns: normal, cyclic, increasing/decreasing trend, upward/downward shift.',
        citation:
          'R. J. Alcock and Y. Manolopoulos, "Time-series similarity queries employing a feature-based approach", 7th Hellenic Conference on Informatics, 1999.',
        classNames: SYNTHETIC_CONTROL_CLASSES,
        defaultLength: 60,
      },
      syntheticControlSeries,
    ),
  });

export function isSyntheticGeneratorName(name: string): name is SyntheticGeneratorName {
  return Object.hasOwn(syntheticGenerators, name);
}

export function generateSyntheticDataset(name: SyntheticGeneratorName, params: SyntheticParams): Dataset {
  return syntheticGenerators[name].generate(params);
}

/** Train and test drawn from independent streams derived from one seed. */
export function generateSyntheticTrainTest(
  name: SyntheticGeneratorName,
  params: SyntheticTrainTestParams,
): TrainTestDataset {
  const generator = syntheticGenerators[name];
  const train = generator.generate({
    seed: `${String(params.seed)}/train`,
    length: params.length,
    countPerClass: params.trainPerClass,
  });
  const test = generator.generate({
    seed: `${String(params.seed)}/test`,
    length: params.length,
    countPerClass: params.testPerClass,
  });
  return { name, length: train.length, classNames: [...train.classNames], train, test };
}
