import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SampleEntity } from '../entities';

export interface NewSample {
  runId: string;
  shardIndex: number;
  sampleIndex: number;
  classIndex: number | null;
  values: Float32Array;
}

export function float32ToBytes(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

export function bytesToFloat32(bytes: Buffer): Float32Array {
  // Copy: a Buffer from pg may sit at an offset that is not a multiple of 4.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

@Injectable()
export class SampleRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Stores samples in chunks. A sample whose (run, shard, index) already
   * exists is skipped, so a retried shard never duplicates or overwrites rows.
   */
  async insertMany(samples: NewSample[], chunkSize = 1000): Promise<number> {
    let inserted = 0;
    for (let start = 0; start < samples.length; start += chunkSize) {
      const chunk = samples.slice(start, start + chunkSize);
      const result = await this.dataSource
        .createQueryBuilder()
        .insert()
        .into(SampleEntity)
        .values(
          chunk.map((sample) => ({
            runId: sample.runId,
            shardIndex: sample.shardIndex,
            sampleIndex: sample.sampleIndex,
            classIndex: sample.classIndex,
            values: float32ToBytes(sample.values),
          })),
        )
        .orIgnore()
        .returning(['id'])
        .execute();
      // RETURNING yields only the rows really inserted; `identifiers` would count ignored ones too.
      inserted += (result.raw as unknown[]).length;
    }
    return inserted;
  }

  countByRun(runId: string): Promise<number> {
    return this.dataSource.getRepository(SampleEntity).countBy({ runId });
  }

  /**
   * Pages through a run's samples in sample order with a keyset cursor, so an
   * export of a million samples never holds more than one batch in memory.
   */
  async *streamByRun(
    runId: string,
    range: { fromIndex: number; toIndex?: number },
    batchSize = 1000,
  ): AsyncGenerator<SampleEntity[]> {
    let after = range.fromIndex - 1;
    for (;;) {
      const batch = await this.dataSource
        .getRepository(SampleEntity)
        .createQueryBuilder('sample')
        .where('sample.run_id = :runId AND sample.sample_index > :after', { runId, after })
        .andWhere(range.toIndex === undefined ? 'TRUE' : 'sample.sample_index < :to', { to: range.toIndex })
        .orderBy('sample.sample_index', 'ASC')
        .limit(batchSize)
        .getMany();
      if (batch.length === 0) return;
      yield batch;
      after = batch[batch.length - 1].sampleIndex;
      if (batch.length < batchSize) return;
    }
  }

  /** Samples with index >= fromIndex, in index order. */
  findByRunIndexRange(runId: string, fromIndex: number, limit: number): Promise<SampleEntity[]> {
    return this.dataSource
      .getRepository(SampleEntity)
      .createQueryBuilder('sample')
      .where('sample.run_id = :runId AND sample.sample_index >= :fromIndex', { runId, fromIndex })
      .orderBy('sample.sample_index', 'ASC')
      .limit(limit)
      .getMany();
  }

  async countInIndexRange(runId: string, fromIndex: number, limit: number): Promise<number> {
    const stored = await this.dataSource
      .getRepository(SampleEntity)
      .createQueryBuilder('sample')
      .where('sample.run_id = :runId AND sample.sample_index >= :fromIndex', { runId, fromIndex })
      .getCount();
    return Math.min(stored, limit);
  }

  findByRun(runId: string, offset: number, limit: number): Promise<SampleEntity[]> {
    return this.dataSource.getRepository(SampleEntity).find({
      where: { runId },
      order: { shardIndex: 'ASC', sampleIndex: 'ASC' },
      skip: offset,
      take: limit,
    });
  }
}
