import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { RunFeaturesEntity } from '../entities';

export type NewRunFeatures = Omit<RunFeaturesEntity, 'run' | 'judgeModel' | 'createdAt'>;

@Injectable()
export class RunFeaturesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Stores (or replaces) a run's features under one judge. */
  async save(features: NewRunFeatures): Promise<void> {
    // save() updates the row with the same primary key (run, judge), so a re-evaluation replaces it.
    const repository = this.dataSource.getRepository(RunFeaturesEntity);
    await repository.save(repository.create(features));
  }

  /** The features of these runs under one judge; runs without any are absent. */
  async forRuns(runIds: string[], judgeModelId: string): Promise<Map<string, RunFeaturesEntity>> {
    if (runIds.length === 0) return new Map();
    const rows = await this.dataSource
      .getRepository(RunFeaturesEntity)
      .find({ where: { runId: In(runIds), judgeModelId } });
    return new Map(rows.map((row) => [row.runId, row]));
  }
}
