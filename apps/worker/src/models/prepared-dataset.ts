import type { Dataset } from '@maskgen/data';
import type { DatasetRepository } from '@maskgen/persistence';
import { prepareDataset, type PreparedDataset } from '@maskgen/pipeline';
import { UnrecoverableError } from 'bullmq';

/** A stored dataset as the pipeline's stages see it (scaled on train, with the evaluation splits). */
export async function loadPreparedDataset(
  datasets: DatasetRepository,
  datasetId: string,
): Promise<PreparedDataset> {
  const dataset = await datasets.findById(datasetId);
  if (!dataset) throw new UnrecoverableError(`Dataset ${datasetId} does not exist`);
  const split = async (name: 'train' | 'test'): Promise<Dataset> => {
    const { values, labels } = await datasets.split(dataset.id, name);
    return {
      name: dataset.name,
      source: `dataset ${dataset.id} (${name})`,
      length: dataset.seriesLength,
      values,
      labels,
      classNames: dataset.classNames,
    };
  };
  try {
    return prepareDataset({
      name: dataset.name,
      length: dataset.seriesLength,
      classNames: dataset.classNames,
      train: await split('train'),
      test: await split('test'),
    });
  } catch (error) {
    // Too few series or classes: retrying the same rows cannot help.
    if (error instanceof RangeError) throw new UnrecoverableError(error.message);
    throw error;
  }
}
