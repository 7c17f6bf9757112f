import assert from 'node:assert/strict';

/** Runs one SQL statement and returns its rows (see pgRows and dataSourceRows). */
export type SqlRows = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/** SqlRows over a connected `pg` client. */
export function pgRows(client: {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}): SqlRows {
  return async (text, params) => (await client.query(text, params)).rows;
}

/** SqlRows over a TypeORM DataSource (whose `query` answers the rows themselves). */
export function dataSourceRows(dataSource: {
  query(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}): SqlRows {
  return (text, params) => dataSource.query(text, params);
}

export interface ExactRunExpectation {
  /** How many sample rows the run ends with (indices 0..samples-1). */
  samples: number;
  status: 'succeeded' | 'failed' | 'cancelled';
  /** The run row's progress; it must also equal succeeded shards / total_shards whether given or not. */
  progress?: number;
}

/**
 * Issue 21's end state of a fault case, read from PostgreSQL: exactly `samples` rows with indices 0..samples-1,
 * none twice (by (run, index), the samples' key, and by (run, shard, index)), each in its shard's range; the run
 * row's final status and its progress, which the shard rows justify (none queued or running, succeeded/total,
 * samples_stored summing to the rows); and no run of the database left queued or running.
 */
export async function assertRunExact(query: SqlRows, runId: string, expected: ExactRunExpectation) {
  const n = expected.samples;
  const [samples] = await query(
    `SELECT count(*)::int AS n, count(DISTINCT s.sample_index)::int AS distinct_indices,
            count(DISTINCT (s.shard_index, s.sample_index))::int AS distinct_keys,
            min(s.sample_index)::int AS lowest, max(s.sample_index)::int AS highest,
            count(*) FILTER (WHERE sh.run_id IS NULL)::int AS outside_shard
       FROM samples s
       LEFT JOIN shards sh ON sh.run_id = s.run_id AND sh.shard_index = s.shard_index
        AND s.sample_index >= sh.sample_offset AND s.sample_index < sh.sample_offset + sh.sample_count
      WHERE s.run_id = $1`,
    [runId],
  );
  assert.deepEqual(
    samples,
    {
      n,
      distinct_indices: n,
      distinct_keys: n,
      lowest: n > 0 ? 0 : null,
      highest: n > 0 ? n - 1 : null,
      outside_shard: 0,
    },
    'exactly N sample rows, indices 0..N-1, no duplicate, each in its shard',
  );

  const [run] = await query(
    `SELECT status, progress, total_shards::int AS total_shards FROM runs WHERE id = $1`,
    [runId],
  );
  assert.ok(run, `run ${runId} exists`);
  const [shards] = await query(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE status IN ('queued', 'running'))::int AS active,
            count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
            COALESCE(sum(samples_stored), 0)::int AS stored
       FROM shards WHERE run_id = $1`,
    [runId],
  );
  assert.equal(run.status, expected.status, 'the run ends with its expected status');
  assert.deepEqual(
    { total: shards.total, active: shards.active, stored: shards.stored },
    { total: run.total_shards, active: 0, stored: n },
    'every shard row settled, their samples_stored summing to N',
  );
  assert.equal(
    run.progress,
    Number(shards.succeeded) / Math.max(Number(shards.total), 1),
    'the run row progress = succeeded shards / total',
  );
  if (expected.progress !== undefined) assert.equal(run.progress, expected.progress, 'the run row progress');

  const open = await query(`SELECT id, status FROM runs WHERE status IN ('queued', 'running')`);
  assert.deepEqual(open, [], 'no run left queued or running');
}
