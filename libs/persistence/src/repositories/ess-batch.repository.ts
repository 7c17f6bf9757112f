import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EssBatchEntity, type EssBatchConfig } from '../entities';

export type NewEssBatch = Omit<EssBatchEntity, 'run' | 'createdAt'>;

/** What an ESS run recorded over its sampler calls (GET /runs/:id `ess`, and the run's t* / critic metrics). */
export interface RunEssSummary {
  /** The resolved settings of the first call; every call of a run gets the same request, so they agree. */
  readonly config: EssBatchConfig | null;
  /** False if calls recorded different settings (e.g. workers on different code versions). */
  readonly consistent: boolean;
  /** One per sampler call, in sample order. */
  readonly batches: readonly Omit<NewEssBatch, 'runId' | 'config'>[];
  /** Samples per LF t*. */
  readonly tStarHistogram: Record<string, number>;
  readonly samples: number;
  /** Samples whose mean LF critic code distance rose under ESS. */
  readonly criticWorse: number;
}

export function summariseEssBatches(rows: readonly EssBatchEntity[]): RunEssSummary {
  const tStarHistogram: Record<string, number> = {};
  let samples = 0;
  let criticWorse = 0;
  for (const row of rows) {
    tStarHistogram[row.tStar] = (tStarHistogram[row.tStar] ?? 0) + row.sampleCount;
    samples += row.sampleCount;
    criticWorse += row.criticWorse;
  }
  const first = rows[0]?.config ?? null;
  return {
    config: first,
    consistent: rows.every((row) => JSON.stringify(row.config) === JSON.stringify(first)),
    batches: rows.map(({ firstSample, shardIndex, sampleCount, tStar, criticWorse: worse }) => ({
      firstSample,
      shardIndex,
      sampleCount,
      tStar,
      criticWorse: worse,
    })),
    tStarHistogram,
    samples,
    criticWorse,
  };
}

@Injectable()
export class EssBatchRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Stores one sampler call; a retried shard's call (same first sample) replaces the row. */
  async record(batch: NewEssBatch): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ess_batches (run_id, first_sample, shard_index, sample_count, config, t_star, critic_worse)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
       ON CONFLICT (run_id, first_sample) DO UPDATE SET shard_index = EXCLUDED.shard_index,
         sample_count = EXCLUDED.sample_count, config = EXCLUDED.config, t_star = EXCLUDED.t_star,
         critic_worse = EXCLUDED.critic_worse`,
      [
        batch.runId,
        batch.firstSample,
        batch.shardIndex,
        batch.sampleCount,
        JSON.stringify(batch.config),
        batch.tStar,
        batch.criticWorse,
      ],
    );
  }

  async summary(runId: string): Promise<RunEssSummary> {
    const rows = await this.dataSource
      .getRepository(EssBatchEntity)
      .find({ where: { runId }, order: { firstSample: 'ASC' } });
    return summariseEssBatches(rows);
  }
}
