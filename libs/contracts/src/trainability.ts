import { MIN_EVALUATION_SAMPLES } from './jobs';

/**
 * What a dataset needs before a model can be trained on it and evaluated, checked where datasets are created
 * (the API refuses them with 400) and again where the pipeline prepares one (older rows fail with the same reason).
 */
export const DATASET_MINIMUMS: Readonly<
  Record<'seriesLength' | 'classes' | 'seriesPerSplit' | 'trainSeriesPerClass', number>
> = {
  /** The STFT reflect-pads by 4 on each side (ess.md §3.1); every profile's stage-1 grid fits from here on. */
  seriesLength: 5,
  /** The evaluation classifier and class-conditional sampling tell classes apart. */
  classes: 2,
  /**
   * Per split: a run is compared with min(samples, test series) real ones and the Inception Score splits those
   * into MIN_EVALUATION_SAMPLES parts; the train split is the real reference of every metric the same way.
   */
  seriesPerSplit: MIN_EVALUATION_SAMPLES,
  /** A class the train split never shows cannot be learnt, and sampling it would be noise. */
  trainSeriesPerClass: 1,
};

/** The shape of a dataset the check needs: its length, class names and the class index of every series. */
export interface DatasetTrainabilityInput {
  readonly length: number;
  readonly classNames: readonly string[];
  readonly trainLabels: ArrayLike<number>;
  readonly testLabels: ArrayLike<number>;
}

/** Why no model can be trained on this dataset (every reason, '; '-separated), or undefined when one can. */
export function datasetTrainabilityProblem(dataset: DatasetTrainabilityInput): string | undefined {
  const min = DATASET_MINIMUMS;
  const problems: string[] = [];
  if (dataset.length < min.seriesLength) {
    problems.push(
      `series have ${dataset.length} steps, the model needs at least ${min.seriesLength} (its STFT pads 4 steps on each side)`,
    );
  }
  if (dataset.classNames.length < min.classes) {
    const n = dataset.classNames.length;
    problems.push(
      `${n} class${n === 1 ? '' : 'es'}, the model needs at least ${min.classes} classes (its evaluation classifier tells them apart)`,
    );
  }
  for (const [split, labels] of [
    ['train', dataset.trainLabels],
    ['test', dataset.testLabels],
  ] as const) {
    if (labels.length < min.seriesPerSplit) {
      problems.push(
        `the ${split} split has ${labels.length} series, at least ${min.seriesPerSplit} are needed (evaluations split them ${min.seriesPerSplit} ways for the Inception Score)`,
      );
    }
  }
  const counts = new Array<number>(dataset.classNames.length).fill(0);
  for (let i = 0; i < dataset.trainLabels.length; i++) counts[dataset.trainLabels[i]] += 1;
  const unseen = dataset.classNames.filter((_, c) => counts[c] < min.trainSeriesPerClass);
  if (dataset.classNames.length >= min.classes && unseen.length > 0) {
    const few = min.trainSeriesPerClass === 1 ? 'no' : `fewer than ${min.trainSeriesPerClass}`;
    const names = unseen.map((name) => `'${name}'`).join(', ');
    problems.push(
      `${unseen.length === 1 ? `class ${names} has` : `classes ${names} have`} ${few} series in the train split, so no model can learn ${unseen.length === 1 ? 'it' : 'them'}`,
    );
  }
  return problems.length === 0 ? undefined : problems.join('; ');
}
