import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
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
}
