import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  DatasetEntity,
  DatasetSeriesEntity,
  ModelEntity,
  type DatasetSourceKind,
  type DatasetSplit,
} from '../entities';
import { bytesToFloat32, float32ToBytes } from './sample.repository';
import { deleteTeamRowUnlessInUse } from './team-deletion';
import { teamPageNewestFirst } from './team-page';

export interface NewDatasetSplit {
  values: Float32Array[];
  labels: Int32Array;
}

export interface NewDataset {
  teamId: string;
  name: string;
  sourceKind: DatasetSourceKind;
  sourceDetails: Record<string, unknown>;
  seriesLength: number;
  classNames: string[];
  scaling: Record<string, unknown>;
  train: NewDatasetSplit;
  test: NewDatasetSplit;
}

export interface StoredSeries {
  index: number;
  classIndex: number | null;
  values: Float32Array;
}

export class DatasetNameTakenError extends Error {}

const INSERT_CHUNK = 1000;

@Injectable()
export class DatasetRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Stores a dataset and all its series in one transaction: it is there whole or not at all. */
  async create(dataset: NewDataset): Promise<DatasetEntity> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const entity = await manager.save(
          manager.create(DatasetEntity, {
            teamId: dataset.teamId,
            name: dataset.name,
            sourceKind: dataset.sourceKind,
            sourceDetails: dataset.sourceDetails,
            seriesLength: dataset.seriesLength,
            classNames: dataset.classNames,
            scaling: dataset.scaling,
            trainCount: dataset.train.values.length,
            testCount: dataset.test.values.length,
          }),
        );
        for (const split of ['train', 'test'] as const) {
          const { values, labels } = dataset[split];
          for (let start = 0; start < values.length; start += INSERT_CHUNK) {
            const rows = values.slice(start, start + INSERT_CHUNK).map((series, offset) => ({
              datasetId: entity.id,
              split,
              seriesIndex: start + offset,
              classIndex: labels[start + offset] ?? null,
              values: float32ToBytes(series),
            }));
            await manager.createQueryBuilder().insert().into(DatasetSeriesEntity).values(rows).execute();
          }
        }
        return entity;
      });
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw new DatasetNameTakenError(`A dataset named "${dataset.name}" already exists`);
      }
      throw error;
    }
  }

  findById(id: string): Promise<DatasetEntity | null> {
    return this.dataSource.getRepository(DatasetEntity).findOneBy({ id });
  }

  findForTeam(id: string, teamId: string): Promise<DatasetEntity | null> {
    return this.dataSource.getRepository(DatasetEntity).findOneBy({ id, teamId });
  }

  listForTeam(teamId: string, offset: number, limit: number): Promise<[DatasetEntity[], number]> {
    return teamPageNewestFirst(this.dataSource.getRepository(DatasetEntity), teamId, {}, offset, limit);
  }

  async series(
    datasetId: string,
    split: DatasetSplit,
    offset: number,
    limit: number,
  ): Promise<StoredSeries[]> {
    const rows = await this.dataSource.getRepository(DatasetSeriesEntity).find({
      where: { datasetId, split },
      order: { seriesIndex: 'ASC' },
      skip: offset,
      take: limit,
    });
    return rows.map((row) => ({
      index: row.seriesIndex,
      classIndex: row.classIndex,
      values: bytesToFloat32(row.values),
    }));
  }

  /** Every series of one split in index order (training and evaluation read whole splits). */
  async split(
    datasetId: string,
    split: DatasetSplit,
  ): Promise<{ values: Float32Array[]; labels: Int32Array }> {
    const rows = await this.dataSource.getRepository(DatasetSeriesEntity).find({
      where: { datasetId, split },
      order: { seriesIndex: 'ASC' },
    });
    return {
      values: rows.map((row) => bytesToFloat32(row.values)),
      labels: Int32Array.from(rows, (row) => row.classIndex ?? 0),
    };
  }

  /** Deletes a dataset unless a model was trained on it (the database enforces it too). */
  async deleteForTeam(id: string, teamId: string): Promise<boolean> {
    return deleteTeamRowUnlessInUse(this.dataSource, DatasetEntity, { id, teamId }, async (manager) => {
      const models = await manager.countBy(ModelEntity, { datasetId: id });
      return models > 0 ? `Dataset is used by ${models} model(s); delete them first` : undefined;
    });
  }
}
