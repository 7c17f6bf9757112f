import { createReadStream } from 'node:fs';
import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { datasetTrainabilityProblem } from '@maskgen/contracts';
import {
  DatasetParseError,
  fitGlobalScaling,
  generateSyntheticTrainTest,
  loadBuiltinUcr,
  parseUcrTrainTestStreams,
  type TrainTestDataset,
} from '@maskgen/data';
import {
  DatasetNameTakenError,
  DatasetRepository,
  type DatasetEntity,
  type DatasetSourceKind,
  type TeamEntity,
} from '@maskgen/persistence';
import type {
  builtinDatasetRequestSchema,
  syntheticDatasetRequestSchema,
  uploadDatasetRequestSchema,
} from '@maskgen/contracts';
import type { z } from 'zod';
import { removeOwned } from '../common/removal';
import type { UploadedFile } from './upload-slots';

@Injectable()
export class DatasetsService {
  constructor(private readonly datasets: DatasetRepository) {}

  async upload(
    team: TeamEntity,
    request: z.output<typeof uploadDatasetRequestSchema>,
    train: UploadedFile,
    test: UploadedFile,
  ) {
    let parsed: TrainTestDataset;
    try {
      parsed = await parseUcrTrainTestStreams(
        { content: createReadStream(train.path), sourceName: train.originalname },
        { content: createReadStream(test.path), sourceName: test.originalname },
        { missing: request.missing, length: request.length },
      );
    } catch (error) {
      if (error instanceof DatasetParseError || error instanceof RangeError)
        throw new BadRequestException(error.message);
      throw error;
    }
    return this.store(team, request.name, 'upload', parsed, {
      train: { file: train.originalname, bytes: train.size },
      test: { file: test.originalname, bytes: test.size },
      missing: request.missing,
      length: request.length,
    });
  }

  async synthetic(team: TeamEntity, request: z.output<typeof syntheticDatasetRequestSchema>) {
    let generated: TrainTestDataset;
    try {
      generated = generateSyntheticTrainTest(request.generator, {
        seed: request.seed,
        length: request.length,
        trainPerClass: request.trainPerClass,
        testPerClass: request.testPerClass,
      });
    } catch (error) {
      if (error instanceof RangeError) throw new BadRequestException(error.message);
      throw error;
    }
    return this.store(team, request.name, 'synthetic', generated, {
      generator: request.generator,
      seed: request.seed,
      length: generated.length,
      trainPerClass: request.trainPerClass,
      testPerClass: request.testPerClass,
    });
  }

  async builtin(team: TeamEntity, request: z.output<typeof builtinDatasetRequestSchema>) {
    return this.store(team, request.name ?? request.dataset, 'builtin', loadBuiltinUcr(request.dataset), {
      dataset: request.dataset,
      archive: 'UCR Time Series Classification Archive 2018 (Dau et al. 2019)',
    });
  }

  async get(team: TeamEntity, id: string): Promise<DatasetEntity> {
    const dataset = await this.datasets.findForTeam(id, team.id);
    if (!dataset) throw new NotFoundException(`Dataset ${id} not found`);
    return dataset;
  }

  async remove(team: TeamEntity, id: string): Promise<void> {
    await removeOwned('Dataset', id, () => this.datasets.deleteForTeam(id, team.id));
  }

  /** Values are stored as parsed; the spec's scaling (fitted on train) is stored beside them. */
  private async store(
    team: TeamEntity,
    name: string,
    sourceKind: DatasetSourceKind,
    data: TrainTestDataset,
    sourceDetails: Record<string, unknown>,
  ): Promise<DatasetEntity> {
    // Whatever creates a dataset passes here: refuse what no model could train on, with the reason.
    const problem = datasetTrainabilityProblem({
      length: data.length,
      classNames: data.classNames,
      trainLabels: data.train.labels,
      testLabels: data.test.labels,
    });
    if (problem !== undefined)
      throw new BadRequestException(`No model can be trained on this dataset: ${problem}`);
    try {
      return await this.datasets.create({
        teamId: team.id,
        name,
        sourceKind,
        sourceDetails,
        seriesLength: data.length,
        classNames: data.classNames,
        scaling: { method: 'global-standard', ...fitGlobalScaling(data.train) },
        train: { values: data.train.values, labels: data.train.labels },
        test: { values: data.test.values, labels: data.test.labels },
      });
    } catch (error) {
      if (error instanceof DatasetNameTakenError) throw new ConflictException(error.message);
      throw error;
    }
  }
}
