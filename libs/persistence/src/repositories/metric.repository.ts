import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { MetricEntity } from '../entities';

@Injectable()
export class MetricRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async record(runId: string, metrics: { name: string; value: number; details?: Record<string, unknown> }[]) {
    if (metrics.length === 0) return;
    const repository = this.dataSource.getRepository(MetricEntity);
    await repository.save(
      metrics.map((metric) =>
        repository.create({ runId, name: metric.name, value: metric.value, details: metric.details ?? {} }),
      ),
    );
  }

  forRun(runId: string): Promise<MetricEntity[]> {
    return this.dataSource
      .getRepository(MetricEntity)
      .find({ where: { runId }, order: { name: 'ASC', createdAt: 'ASC' } });
  }

  /** The latest value of every metric of each run: runId → { name: value }. */
  async latestByRun(runIds: string[]): Promise<Map<string, Record<string, number>>> {
    const latest = new Map<string, Record<string, number>>(runIds.map((id) => [id, {}]));
    if (runIds.length === 0) return latest;
    const rows = await this.dataSource
      .getRepository(MetricEntity)
      .find({ where: { runId: In(runIds) }, order: { createdAt: 'ASC', id: 'ASC' } });
    for (const row of rows) latest.get(row.runId)![row.name] = row.value;
    return latest;
  }
}
