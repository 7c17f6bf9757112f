import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { SampleEntity, TokenCriticScoreEntity, type CriticPhase, type TokenBand } from '../entities';

export interface NewSample {
  runId: string;
  shardIndex: number;
  sampleIndex: number;
  classIndex: number | null;
  values: Float32Array;
}

/** Per-token critic scores of one branch of one sample, in token-grid order. */
export interface NewCriticScores {
  band: TokenBand;
  phase: CriticPhase;
  rows: number;
  columns: number;
  scores: Float32Array;
  /** 1 where critical reverse sampling re-masked the token. */
  remasked?: Uint8Array;
}

/** A sample from a model sampler: its tokens and what the critic said about them. */
export interface NewScoredSample extends NewSample {
  tokensLf?: Int32Array;
  tokensHf?: Int32Array;
  criticMean?: number | null;
  criticMax?: number | null;
  /** ESS samples: criticMean of the tokens before ESS refined them. */
  criticMeanBefore?: number | null;
  remaskedCount?: number | null;
  critic: NewCriticScores[];
}

export interface StoredCriticScores {
  band: TokenBand;
  phase: CriticPhase;
  rows: number;
  columns: number;
  scores: Float32Array;
  remasked: Uint8Array | null;
}

function int32ToBytes(values: Int32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/** One bit per token, most significant bit first, so a 1,024-token grid costs 128 bytes. */
export function packBits(flags: Uint8Array): Buffer {
  const bytes = Buffer.alloc(Math.ceil(flags.length / 8));
  flags.forEach((flag, i) => {
    if (flag) bytes[i >> 3] |= 0x80 >> (i & 7);
  });
  return bytes;
}

export function unpackBits(bytes: Buffer, count: number): Uint8Array {
  const flags = new Uint8Array(count);
  for (let i = 0; i < count; i++) flags[i] = (bytes[i >> 3] >> (7 - (i & 7))) & 1;
  return flags;
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

export function bytesToInt32(bytes: Buffer): Int32Array {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Int32Array(copy.buffer);
}

/** What an insert's RETURNING gives back for each row really inserted (not for ignored duplicates). */
interface InsertedSample {
  run_id: string;
  shard_index: number;
}

/**
 * Raises the shards' samples_stored by the rows this transaction inserted, so the counter is exact under
 * retries, takeovers and duplicates (ignored rows are not returned, so not counted).
 */
async function countStored(manager: EntityManager, rows: InsertedSample[]): Promise<void> {
  const perShard = new Map<string, { runId: string; shardIndex: number; count: number }>();
  for (const row of rows) {
    const key = `${row.run_id}/${row.shard_index}`;
    const entry = perShard.get(key) ?? { runId: row.run_id, shardIndex: row.shard_index, count: 0 };
    entry.count++;
    perShard.set(key, entry);
  }
  for (const { runId, shardIndex, count } of perShard.values()) {
    await manager.query(
      `UPDATE shards SET samples_stored = samples_stored + $3 WHERE run_id = $1 AND shard_index = $2`,
      [runId, shardIndex, count],
    );
  }
}

/** A sample ESS made worse: its final mean LF critic code distance exceeds the one before ESS (both stored). */
const WORSE_UNDER_ESS = 'sample.critic_mean > sample.critic_mean_before';

/** Whether ESS made a stored sample worse in the critic's eyes; null when it was not refined by ESS. */
export function worseUnderEss(sample: Pick<SampleEntity, 'criticMean' | 'criticMeanBefore'>): boolean | null {
  if (sample.criticMean === null || sample.criticMeanBefore === null) return null;
  return sample.criticMean > sample.criticMeanBefore;
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
      inserted += await this.dataSource.transaction(async (manager) => {
        const result = await manager
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
          .returning(['runId', 'shardIndex'])
          .execute();
        // RETURNING yields only the rows really inserted; `identifiers` would count ignored ones too.
        const rows = result.raw as InsertedSample[];
        await countStored(manager, rows);
        return rows.length;
      });
    }
    return inserted;
  }

  /**
   * Stores model samples and their per-token critic scores in one transaction: a sample is never
   * there without its scores. As with insertMany, samples already stored (a retried shard) are
   * skipped, together with their scores.
   */
  async insertScored(samples: NewScoredSample[]): Promise<number> {
    if (samples.length === 0) return 0;
    return this.dataSource.transaction(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .insert()
        .into(SampleEntity)
        .values(
          samples.map((sample) => ({
            runId: sample.runId,
            shardIndex: sample.shardIndex,
            sampleIndex: sample.sampleIndex,
            classIndex: sample.classIndex,
            values: float32ToBytes(sample.values),
            tokensLf: sample.tokensLf ? int32ToBytes(sample.tokensLf) : null,
            tokensHf: sample.tokensHf ? int32ToBytes(sample.tokensHf) : null,
            criticMean: sample.criticMean ?? null,
            criticMax: sample.criticMax ?? null,
            criticMeanBefore: sample.criticMeanBefore ?? null,
            remaskedCount: sample.remaskedCount ?? null,
          })),
        )
        .orIgnore()
        .returning(['id', 'runId', 'shardIndex', 'sampleIndex'])
        .execute();
      const inserted = result.raw as (InsertedSample & { id: string; sample_index: number })[];
      const idByIndex = new Map(inserted.map((row) => [row.sample_index, row.id]));
      const scoreRows = samples.flatMap((sample) => {
        const sampleId = idByIndex.get(sample.sampleIndex);
        if (sampleId === undefined) return [];
        return sample.critic.map((critic) => ({
          sampleId,
          band: critic.band,
          phase: critic.phase,
          gridRows: critic.rows,
          gridColumns: critic.columns,
          scores: float32ToBytes(critic.scores),
          remaskedMask: critic.remasked ? packBits(critic.remasked) : null,
        }));
      });
      for (let start = 0; start < scoreRows.length; start += 1000) {
        await manager
          .createQueryBuilder()
          .insert()
          .into(TokenCriticScoreEntity)
          .values(scoreRows.slice(start, start + 1000))
          .execute();
      }
      // Last, so the shard row is locked only for the end of the transaction.
      await countStored(manager, inserted);
      return inserted.length;
    });
  }

  /** The critic scores stored for one sample of a run; null when the sample or its scores are missing. */
  async criticScores(runId: string, sampleIndex: number): Promise<StoredCriticScores[] | null> {
    const rows = await this.dataSource
      .getRepository(TokenCriticScoreEntity)
      .createQueryBuilder('score')
      .innerJoin(SampleEntity, 'sample', 'sample.id = score.sample_id')
      .where('sample.run_id = :runId AND sample.sample_index = :sampleIndex', { runId, sampleIndex })
      .getMany();
    if (rows.length === 0) return null;
    return rows.map((row) => ({
      band: row.band,
      phase: row.phase,
      rows: row.gridRows,
      columns: row.gridColumns,
      scores: bytesToFloat32(row.scores),
      remasked: row.remaskedMask ? unpackBits(row.remaskedMask, row.gridRows * row.gridColumns) : null,
    }));
  }

  /** Mean and count of the stored per-sample critic means of a run (null mean when none were scored). */
  async criticSummary(runId: string): Promise<{ scored: number; mean: number | null }> {
    const row = await this.dataSource
      .getRepository(SampleEntity)
      .createQueryBuilder('sample')
      .select('count(sample.critic_mean)::int', 'scored')
      .addSelect('avg(sample.critic_mean)::float8', 'mean')
      .where('sample.run_id = :runId', { runId })
      .getRawOne<{ scored: number; mean: number | null }>();
    return { scored: row?.scored ?? 0, mean: row?.mean ?? null };
  }

  /** Counts the sample rows themselves (a scan of the run's samples); views read RunRepository.samplesStored. */
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

  /** Samples with index >= fromIndex, in index order; with `worseUnderEss` only those ESS made worse. */
  findByRunIndexRange(
    runId: string,
    fromIndex: number,
    limit: number,
    filter: { worseUnderEss?: boolean } = {},
  ): Promise<SampleEntity[]> {
    return this.dataSource
      .getRepository(SampleEntity)
      .createQueryBuilder('sample')
      .where('sample.run_id = :runId AND sample.sample_index >= :fromIndex', { runId, fromIndex })
      .andWhere(filter.worseUnderEss ? WORSE_UNDER_ESS : 'TRUE')
      .orderBy('sample.sample_index', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Samples of a run ESS made worse in the critic's eyes (mean LF code distance after > before). */
  countWorseUnderEss(runId: string): Promise<number> {
    return this.dataSource
      .getRepository(SampleEntity)
      .createQueryBuilder('sample')
      .where('sample.run_id = :runId', { runId })
      .andWhere(WORSE_UNDER_ESS)
      .getCount();
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
