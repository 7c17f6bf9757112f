import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type {
  CriticScoreArrays,
  SampleCriticResult,
  SampleCriticSummary,
  TokenGridArrays,
} from '@maskgen/contracts';
import { SAMPLES_PRIMARY_KEY, SampleEntity, TokenCriticScoreEntity, type TokenBand } from '../entities';

export interface NewSample {
  runId: string;
  shardIndex: number;
  sampleIndex: number;
  classIndex: number | null;
  values: Float32Array;
}

/** A sample from a model sampler: its tokens and what the critic said about them (null: not scored). */
export interface NewScoredSample extends NewSample {
  tokensLf?: Int32Array;
  tokensHf?: Int32Array;
  critic: SampleCriticResult | null;
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

/** Rows a statement stores at most: a values blob of 5,000 samples of length 1,024 is 20 MB. */
const ROWS_PER_STATEMENT = 5000;

/**
 * Optional byte columns of many rows packed into one blob with per-row offsets and lengths (-1: NULL). The blob
 * travels as one binary parameter and SQL slices it, so a statement costs neither per-row placeholders (TypeORM's
 * multi-row VALUES) nor hex-encoded bytea[] text.
 */
function packColumn(buffers: (Buffer | null)[]): { blob: Buffer; offsets: number[]; lengths: number[] } {
  const offsets: number[] = [];
  const lengths: number[] = [];
  let offset = 0;
  for (const buffer of buffers) {
    offsets.push(offset);
    lengths.push(buffer ? buffer.length : -1);
    offset += buffer?.length ?? 0;
  }
  return {
    blob: Buffer.concat(buffers.filter((buffer): buffer is Buffer => buffer !== null)),
    offsets,
    lengths,
  };
}

/** The slice of blob parameter $blob for the row's offset and length columns (NULL for length -1). */
const slice = (blob: string, column: string) =>
  `CASE WHEN t.${column}_len < 0 THEN NULL ELSE substring(${blob}::bytea FROM t.${column}_off + 1 FOR t.${column}_len) END`;

/**
 * With `skipExisting`, rows whose (run, index) is already stored are skipped and the statement returns the indexes
 * it inserted; without, such a row fails the statement on the primary key (see storeShard), and every row is
 * inserted otherwise. ON CONFLICT costs a speculative insertion per row (a key probe before the insert and a
 * confirmation record after it), about 15 % of the statement's server time, so it is kept for the rare case.
 */
const conflictClause = (skipExisting: boolean) =>
  skipExisting ? `ON CONFLICT ON CONSTRAINT ${SAMPLES_PRIMARY_KEY} DO NOTHING RETURNING sample_index` : '';

/** Samples without tokens or critic results (synthetic samplers): the other columns stay NULL. */
const insertPlainSql = (skipExisting: boolean) => `
  INSERT INTO samples (run_id, shard_index, sample_index, class_index, "values")
  SELECT $1::uuid, $2::int, t.sample_index, t.class_index, substring($7::bytea FROM t.v_off + 1 FOR t.v_len)
    FROM unnest($3::int[], $4::int[], $5::int[], $6::int[]) AS t(sample_index, class_index, v_off, v_len)
  ${conflictClause(skipExisting)}`;

/** Model samples: tokens and critic summary too. */
const insertScoredSql = (skipExisting: boolean) => `
  INSERT INTO samples (run_id, shard_index, sample_index, class_index, "values", tokens_lf, tokens_hf,
                       critic_mean, critic_max, remasked_count, critic_mean_before)
  SELECT $1::uuid, $2::int, t.sample_index, t.class_index, ${slice('$15', 'v')}, ${slice('$16', 'lf')},
         ${slice('$17', 'hf')}, t.critic_mean, t.critic_max, t.remasked_count, t.critic_mean_before
    FROM unnest($3::int[], $4::int[], $5::real[], $6::real[], $7::int[], $8::int[], $9::int[], $10::int[],
                $11::int[], $12::int[], $13::int[], $14::real[])
      AS t(sample_index, class_index, critic_mean, critic_max, remasked_count, v_off, v_len, lf_off, lf_len,
           hf_off, hf_len, critic_mean_before)
  ${conflictClause(skipExisting)}`;

/** Whether a sample has tokens or a critic result to store (else those columns stay NULL). */
const hasModelColumns = (sample: Partial<NewScoredSample>) =>
  Boolean(sample.tokensLf || sample.tokensHf || sample.critic);

/**
 * One statement's SQL and parameters for rows of one (run, shard). The blobs come last: node-postgres writes the
 * parameters into a buffer it grows as it goes, and every parameter after a blob of megabytes would copy it again.
 */
function insertStatement(
  runId: string,
  shardIndex: number,
  rows: (NewSample | NewScoredSample)[],
  skipExisting: boolean,
): [string, unknown[]] {
  const values = packColumn(rows.map((row) => float32ToBytes(row.values)));
  const indexes = rows.map((row) => row.sampleIndex);
  const classes = rows.map((row) => row.classIndex);
  if (!rows.some(hasModelColumns)) {
    return [
      insertPlainSql(skipExisting),
      [runId, shardIndex, indexes, classes, values.offsets, values.lengths, values.blob],
    ];
  }
  const scored = rows.map((row) => row as Partial<NewScoredSample>);
  const lf = packColumn(scored.map((row) => (row.tokensLf ? int32ToBytes(row.tokensLf) : null)));
  const hf = packColumn(scored.map((row) => (row.tokensHf ? int32ToBytes(row.tokensHf) : null)));
  return [
    insertScoredSql(skipExisting),
    [
      runId,
      shardIndex,
      indexes,
      classes,
      scored.map((row) => row.critic?.summary.mean ?? null),
      scored.map((row) => row.critic?.summary.max ?? null),
      scored.map((row) => remaskedCount(row.critic?.scores.lf.remasked ?? null)),
      values.offsets,
      values.lengths,
      lf.offsets,
      lf.lengths,
      hf.offsets,
      hf.lengths,
      scored.map((row) => row.critic?.summary.meanBeforeEss ?? null),
      values.blob,
      lf.blob,
      hf.blob,
    ],
  ];
}

/**
 * Inserts the samples of one (run, shard), ROWS_PER_STATEMENT a statement; returns the indexes really inserted.
 * `onStored` hears how many of the shard's rows are stored, once past `reported`.
 */
async function insertShardRows(
  manager: EntityManager,
  runId: string,
  shardIndex: number,
  samples: (NewSample | NewScoredSample)[],
  skipExisting: boolean,
  onStored?: (stored: number) => Promise<void>,
  reported = 0,
): Promise<number[]> {
  const inserted: number[] = [];
  for (let start = 0; start < samples.length; start += ROWS_PER_STATEMENT) {
    const rows = samples.slice(start, start + ROWS_PER_STATEMENT);
    const [sql, parameters] = insertStatement(runId, shardIndex, rows, skipExisting);
    const result = await manager.query<{ sample_index: number }[]>(sql, parameters);
    // Without skipExisting the statement stored every row, or failed.
    if (skipExisting) inserted.push(...result.map((row) => row.sample_index));
    else inserted.push(...rows.map((row) => row.sampleIndex));
    if (start + rows.length > reported) await onStored?.(start + rows.length);
  }
  return inserted;
}

/** A unique violation on the samples' primary key: a sample of the run with that index is already stored. */
function isStoredSampleConflict(error: unknown): boolean {
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return code === '23505' && constraint === SAMPLES_PRIMARY_KEY;
}

/**
 * Stores the samples of one (run, shard) in the caller's transaction, skipping those already stored; returns the
 * indexes really inserted. The first attempt inserts plainly, in a savepoint: a shard is stored by the one
 * transaction that completes it, so its samples are normally all new. If one is not (a completion racing another
 * of the same shard waits on the primary key and then conflicts, or rows stored by insertMany), the savepoint is
 * rolled back and the rows are inserted again with ON CONFLICT DO NOTHING, which keeps the first stored.
 */
async function storeShard(
  manager: EntityManager,
  runId: string,
  shardIndex: number,
  samples: (NewSample | NewScoredSample)[],
  onStored?: (stored: number) => Promise<void>,
): Promise<number[]> {
  let reported = 0;
  const report = async (stored: number) => {
    reported = stored;
    await onStored?.(stored);
  };
  await manager.query(`SAVEPOINT store_samples`);
  try {
    const inserted = await insertShardRows(manager, runId, shardIndex, samples, false, report);
    await manager.query(`RELEASE SAVEPOINT store_samples`);
    return inserted;
  } catch (error) {
    if (!isStoredSampleConflict(error)) throw error;
    await manager.query(`ROLLBACK TO SAVEPOINT store_samples`);
    await manager.query(`RELEASE SAVEPOINT store_samples`);
    return insertShardRows(manager, runId, shardIndex, samples, true, report, reported);
  }
}

const remaskedCount = (mask: Uint8Array | null): number | null =>
  mask === null ? null : mask.reduce((count, flag) => count + flag, 0);

const BANDS: readonly TokenBand[] = ['lf', 'hf'];

/** A sample's grids as token_critic_scores rows: one per band and phase ('after' with the re-masked tokens). */
function criticScoreRows(runId: string, sampleIndex: number, scores: CriticScoreArrays) {
  return BANDS.flatMap((band) => {
    const grid = scores[band];
    if (grid === null) return [];
    const row = { runId, sampleIndex, band, gridRows: grid.rows, gridColumns: grid.columns };
    const before = {
      ...row,
      phase: 'before' as const,
      scores: float32ToBytes(grid.before),
      remaskedMask: null,
    };
    if (grid.after === null) return [before];
    const remaskedMask = grid.remasked === null ? null : packBits(grid.remasked);
    return [before, { ...row, phase: 'after' as const, scores: float32ToBytes(grid.after), remaskedMask }];
  });
}

/** One band's grid from its stored rows (the inverse of criticScoreRows); null when none are stored. */
function gridOf(rows: TokenCriticScoreEntity[]): TokenGridArrays | null {
  const before = rows.find((row) => row.phase === 'before');
  const after = rows.find((row) => row.phase === 'after');
  const shape = before ?? after;
  if (!shape) return null;
  const mask = after?.remaskedMask ?? before?.remaskedMask ?? null;
  return {
    rows: shape.gridRows,
    columns: shape.gridColumns,
    before: before ? bytesToFloat32(before.scores) : new Float32Array(0),
    after: after ? bytesToFloat32(after.scores) : null,
    remasked: mask ? unpackBits(mask, shape.gridRows * shape.gridColumns) : null,
  };
}

/** Per-token critic scores of the samples just inserted (samples skipped as already stored keep theirs). */
async function insertCriticScores(
  manager: EntityManager,
  samples: (NewSample | NewScoredSample)[],
  inserted: number[],
): Promise<void> {
  const stored = new Set(inserted);
  const scoreRows = samples.flatMap((sample) => {
    if (!stored.has(sample.sampleIndex) || !('critic' in sample) || sample.critic === null) return [];
    return criticScoreRows(sample.runId, sample.sampleIndex, sample.critic.scores);
  });
  for (let start = 0; start < scoreRows.length; start += 1000) {
    await manager
      .createQueryBuilder()
      .insert()
      .into(TokenCriticScoreEntity)
      .values(scoreRows.slice(start, start + 1000))
      .execute();
  }
}

/**
 * Stores samples (with their critic scores, if scored) inside the caller's transaction, skipping every
 * (run, index) already stored, and raises each shard's samples_stored by the rows really inserted, so the
 * counter stays exact under retries, takeovers and duplicates. Returns the rows inserted.
 *
 * The insert statements run with a generic plan: a custom plan (node-postgres sends unnamed statements, planned
 * for their parameters) folds the parameters into the plan as constants, copying the values blob (megabytes) and
 * the arrays while planning each statement, a third of the insert's server time here.
 */
export async function storeSamples(
  manager: EntityManager,
  samples: (NewSample | NewScoredSample)[],
  onStored?: (stored: number) => Promise<void>,
): Promise<number> {
  const byShard = new Map<string, (NewSample | NewScoredSample)[]>();
  for (const sample of samples) {
    const key = `${sample.runId}/${sample.shardIndex}`;
    const group = byShard.get(key) ?? [];
    group.push(sample);
    byShard.set(key, group);
  }
  const [{ previous }] = await manager.query<{ previous: string }[]>(
    `SELECT current_setting('plan_cache_mode') AS previous, set_config('plan_cache_mode', 'force_generic_plan', true)`,
  );
  let total = 0;
  for (const group of byShard.values()) {
    const { runId, shardIndex } = group[0];
    const inserted = await storeShard(manager, runId, shardIndex, group, onStored);
    await insertCriticScores(manager, group, inserted);
    if (inserted.length > 0) {
      await manager.query(
        `UPDATE shards SET samples_stored = samples_stored + $3 WHERE run_id = $1 AND shard_index = $2`,
        [runId, shardIndex, inserted.length],
      );
    }
    total += inserted.length;
  }
  // (A statement that failed aborts the transaction, and the setting ends with it.)
  await manager.query(`SELECT set_config('plan_cache_mode', $1, true)`, [previous]);
  return total;
}

/** A sample ESS made worse: its final mean LF critic code distance exceeds the one before ESS (both stored). */
const WORSE_UNDER_ESS = 'sample.critic_mean > sample.critic_mean_before';

/**
 * A stored sample's critic summary as the sampler gave it (null for a sample that was not scored): whether ESS made
 * it worse is read back from the two stored means.
 */
export function criticSummaryOf(
  sample: Pick<SampleEntity, 'criticMean' | 'criticMax' | 'criticMeanBefore'>,
): SampleCriticSummary | null {
  const { criticMean: mean, criticMax: max, criticMeanBefore: meanBeforeEss } = sample;
  if (mean === null || max === null) return null;
  return { mean, max, meanBeforeEss, worseUnderEss: meanBeforeEss === null ? null : mean > meanBeforeEss };
}

@Injectable()
export class SampleRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Stores samples, `chunkSize` to a transaction. A sample whose (run, index) already exists is skipped, so
   * a retried insert never duplicates or overwrites rows. Shard jobs store through RunRepository.completeShard
   * instead, all of a shard in the transaction that marks it done.
   */
  async insertMany(samples: NewSample[], chunkSize = ROWS_PER_STATEMENT): Promise<number> {
    let inserted = 0;
    for (let start = 0; start < samples.length; start += chunkSize) {
      const chunk = samples.slice(start, start + chunkSize);
      inserted += await this.dataSource.transaction((manager) => storeSamples(manager, chunk));
    }
    return inserted;
  }

  /**
   * Stores model samples and their per-token critic scores in one transaction: a sample is never there without its
   * scores. As with insertMany, samples already stored are skipped, together with their scores.
   */
  async insertScored(samples: NewScoredSample[]): Promise<number> {
    if (samples.length === 0) return 0;
    return this.dataSource.transaction((manager) => storeSamples(manager, samples));
  }

  /** The critic scores stored for one sample of a run; null when the sample or its scores are missing. */
  async criticScores(runId: string, sampleIndex: number): Promise<CriticScoreArrays | null> {
    const rows = await this.dataSource.getRepository(TokenCriticScoreEntity).findBy({ runId, sampleIndex });
    if (rows.length === 0) return null;
    const [lf, hf] = BANDS.map((band) => gridOf(rows.filter((row) => row.band === band)));
    return { lf, hf };
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
