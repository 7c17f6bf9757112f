import { type Dataset } from '@maskgen/data';
import { trainFcn, type TrainFcnOptions, type TrainFcnResult } from './fcn';

/**
 * Per-class sample counts for CAS (ess.md §7): the training split's class counts, scaled up proportionally
 * (rounded up) so the total is at least `minTotal`.
 */
export function casClassCounts(trainLabels: ArrayLike<number>, classes: number, minTotal = 1000): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < trainLabels.length; i++) counts[trainLabels[i]]++;
  const total = trainLabels.length;
  if (total === 0) throw new RangeError('no training labels');
  const factor = Math.max(1, minTotal / total);
  return counts.map((c) => Math.ceil(c * factor));
}

export interface CasResult extends TrainFcnResult {
  /** Accuracy on the real test split of an FCN trained only on generated data. */
  readonly accuracy: number;
}

/**
 * Classification Accuracy Score: trains a fresh FCN on generated, labelled series and tests it on the real
 * test split. The caller owns (and must dispose) `model`.
 */
export async function classificationAccuracyScore(
  generated: Pick<Dataset, 'values' | 'labels' | 'length'>,
  realTest: Pick<Dataset, 'values' | 'labels'>,
  options: Omit<TrainFcnOptions, 'test'> & { readonly classes: number },
): Promise<CasResult> {
  const result = await trainFcn(generated, { ...options, test: realTest });
  return { ...result, accuracy: result.testAccuracy ?? Number.NaN };
}
