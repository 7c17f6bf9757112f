import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import 'reflect-metadata';
import {
  DatasetEntity,
  DatasetRepository,
  hashApiKey,
  ModelCheckpointEntity,
  ModelEntity,
  ModelRepository,
  ResourceInUseError,
  RunEntity,
  RunRepository,
  SampleRepository,
  TeamRepository,
  bytesToFloat32,
  SAMPLES_PRIMARY_KEY,
  type NewScoredSample,
} from '@maskgen/persistence';
import { useTestDataSource } from './support/database';

describe('persistence', () => {
  const database = useTestDataSource('persistence', { migrated: true });
  let teams: TeamRepository;
  let runs: RunRepository;
  let samples: SampleRepository;
  let teamId: string;

  before(async () => {
    teams = new TeamRepository(database.dataSource);
    runs = new RunRepository(database.dataSource);
    samples = new SampleRepository(database.dataSource);
    teamId = (await teams.ensureTeam('acme')).id;
  });

  /** A dataset row (GunPoint's shape; no series) with a model row trained on it. */
  async function storeDatasetWithModel(datasetName: string, modelName: string) {
    const dataset = await database.dataSource.getRepository(DatasetEntity).save({
      teamId,
      name: datasetName,
      sourceKind: 'builtin',
      seriesLength: 150,
      classNames: ['1', '2'],
      trainCount: 50,
      testCount: 150,
    });
    const model = await database.dataSource
      .getRepository(ModelEntity)
      .save({ teamId, datasetId: dataset.id, name: modelName, error: null });
    return { dataset, model };
  }

  test('API keys are stored hashed and resolve to their team', async () => {
    const { key, entity } = await teams.createApiKey(teamId, 'ci');
    assert.notEqual(entity.keyHash, key);
    assert.equal(entity.keyHash, hashApiKey(key));
    const raw = await database.dataSource.query<{ key_hash: string }[]>('SELECT key_hash FROM api_keys');
    assert.ok(raw.every((row) => !row.key_hash.includes(key.slice(4))));
    assert.equal((await teams.findTeamByApiKey(key))?.id, teamId);
    assert.equal(await teams.findTeamByApiKey(`${key}x`), null);
  });

  test('ensureTeam is idempotent', async () => {
    assert.equal((await teams.ensureTeam('acme')).id, teamId);
  });

  test('samples are unique per (run, index): a repeated insert adds nothing and keeps the first values', async () => {
    const run = await runs.createWithShards({ teamId, kind: 'generate', params: {}, seed: 4_000_000_000 }, [
      { shardIndex: 0, sampleOffset: 0, sampleCount: 2, seed: 1 },
    ]);
    assert.equal((await runs.findById(run.id))?.seed, 4_000_000_000);
    const first = [0, 1].map((i) => ({
      runId: run.id,
      shardIndex: 0,
      sampleIndex: i,
      classIndex: i,
      values: Float32Array.from([i, i + 0.5, -1]),
    }));
    assert.equal(await samples.insertMany(first), 2);
    const again = first.map((sample) => ({ ...sample, values: Float32Array.from([9, 9, 9]) }));
    assert.equal(await samples.insertMany(again), 0);
    // The same index brought by another shard (overlapping shards, a bug) is the same sample: skipped too.
    assert.equal(
      await samples.insertMany([
        { ...again[1], shardIndex: 1 },
        { ...again[1], sampleIndex: 2 },
      ]),
      1,
    );
    const stored = await samples.findByRun(run.id, 0, 10);
    assert.deepEqual(
      stored.map((sample) => [sample.shardIndex, sample.sampleIndex, ...bytesToFloat32(sample.values)]),
      [
        [0, 0, 0, 0.5, -1],
        [0, 1, 1, 1.5, -1],
        [0, 2, 9, 9, 9],
      ],
    );
    // The database itself refuses a second row for a (run, index), whatever its shard: the primary key.
    await assert.rejects(
      database.dataSource.query(
        `INSERT INTO samples (run_id, shard_index, sample_index, "values") VALUES ($1, 7, 1, '\\x00')`,
        [run.id],
      ),
      (error: Error & { code?: string; constraint?: string }) =>
        error.code === '23505' && error.constraint === SAMPLES_PRIMARY_KEY,
    );
  });

  test('scored samples: a retried insert stores only the new samples and their critic scores, keyed by index', async () => {
    const run = await runs.createWithShards({ teamId, kind: 'generate', params: {}, seed: 5 }, [
      { shardIndex: 0, sampleOffset: 0, sampleCount: 6, seed: 1 },
    ]);
    const scored = (sampleIndex: number, score: number): NewScoredSample => ({
      runId: run.id,
      shardIndex: 0,
      sampleIndex,
      classIndex: null,
      values: Float32Array.of(score),
      tokensLf: Int32Array.of(sampleIndex, 1),
      tokensHf: Int32Array.of(sampleIndex, 2),
      critic: {
        summary: { mean: score, max: score, meanBeforeEss: null, worseUnderEss: null },
        scores: {
          lf: { rows: 1, columns: 2, before: Float32Array.of(score, score), after: null, remasked: null },
          hf: null,
        },
      },
    });
    assert.equal(await samples.insertScored([0, 1, 2, 3].map((i) => scored(i, 1))), 4);
    // Samples 2 and 3 are there already: the first insert fails on the key, the retry skips them.
    assert.equal(await samples.insertScored([2, 3, 4, 5].map((i) => scored(i, 2))), 2);
    const means = (await samples.findByRunIndexRange(run.id, 0, 10)).map((sample) => sample.criticMean);
    assert.deepEqual(means, [1, 1, 1, 1, 2, 2]);
    for (const [index, score] of [
      [3, 1],
      [4, 2],
    ]) {
      const stored = await samples.criticScores(run.id, index);
      assert.deepEqual(stored?.lf && Array.from(stored.lf.before), [score, score]);
      assert.equal(stored?.hf, null);
    }
    assert.equal(await samples.criticScores(run.id, 6), null);
    // A sample's scores go with it.
    await database.dataSource.query(`DELETE FROM samples WHERE run_id = $1 AND sample_index = 4`, [run.id]);
    assert.equal(await samples.criticScores(run.id, 4), null);
    assert.deepEqual(
      (await runs.findShards(run.id)).map((shard) => shard.samplesStored),
      [6],
    );
  });

  test('a run and its shards are created together, and invalid states are refused by the database', async () => {
    const run = await runs.createWithShards({ teamId, kind: 'generate', params: { n: 10 }, seed: 1 }, [
      { shardIndex: 0, sampleOffset: 0, sampleCount: 5, seed: 10 },
      { shardIndex: 1, sampleOffset: 5, sampleCount: 5, seed: 11 },
    ]);
    assert.equal(run.totalShards, 2);
    assert.equal((await runs.findShards(run.id)).length, 2);
    await assert.rejects(
      database.dataSource.query(`UPDATE runs SET status = 'exploded' WHERE id = $1`, [run.id]),
      /ck_runs_status/,
    );
    await assert.rejects(
      database.dataSource.query(`UPDATE runs SET progress = 2 WHERE id = $1`, [run.id]),
      /ck_runs_progress/,
    );

    await runs.finishShard(run.id, 0, 'succeeded');
    assert.equal((await runs.findById(run.id))?.progress, 0.5);
    await runs.finish(run.id, 'cancelled');
    // A finished run is never moved back to running or to another final state.
    assert.equal(await runs.markRunning(run.id), false);
    await runs.finish(run.id, 'succeeded');
    assert.equal((await runs.findById(run.id))?.status, 'cancelled');
  });

  test('a dataset cannot be deleted while a model uses it; deleting the model removes its checkpoints', async () => {
    const { dataset, model } = await storeDatasetWithModel('gunpoint', 'm1');
    await database.dataSource.getRepository(ModelCheckpointEntity).save({
      modelId: model.id,
      stage: 'stage1',
      bytes: Buffer.from([1, 2, 3]),
      contentSha256: 'a'.repeat(64),
      byteSize: 3,
    });
    await assert.rejects(
      database.dataSource.getRepository(DatasetEntity).delete({ id: dataset.id }),
      /foreign key/,
    );
    const run = await runs.createWithShards(
      { teamId, modelId: model.id, kind: 'generate', params: {}, seed: 2 },
      [],
    );
    await database.dataSource.getRepository(ModelEntity).delete({ id: model.id });
    assert.equal(
      await database.dataSource.getRepository(ModelCheckpointEntity).countBy({ modelId: model.id }),
      0,
    );
    // Runs outlive their model, so results stay queryable.
    assert.equal(
      (await database.dataSource.getRepository(RunEntity).findOneBy({ id: run.id }))?.modelId,
      null,
    );
    await database.dataSource.getRepository(DatasetEntity).delete({ id: dataset.id });
  });

  test('deleteForTeam refuses a dataset or a model still in use (ResourceInUseError); another team gets false', async () => {
    const datasets = new DatasetRepository(database.dataSource);
    const models = new ModelRepository(database.dataSource);
    const { dataset, model } = await storeDatasetWithModel('in-use', 'in-use');
    const run = await runs.createWithShards(
      { teamId, modelId: model.id, kind: 'generate', params: {}, seed: 3 },
      [],
    );
    const otherTeam = (await teams.ensureTeam('other')).id;

    await assert.rejects(datasets.deleteForTeam(dataset.id, teamId), (error: unknown) => {
      assert.ok(error instanceof ResourceInUseError);
      assert.match(error.message, /used by 1 model/);
      return true;
    });
    await assert.rejects(models.deleteForTeam(model.id, teamId), ResourceInUseError);
    assert.equal(await models.deleteForTeam(model.id, otherTeam), false);
    assert.equal(await runs.cancel(run.id), true);
    assert.equal(await runs.status(run.id), 'cancelled');
    assert.equal(await models.status(model.id), 'pending');
    assert.equal(await models.deleteForTeam(model.id, teamId), true);
    assert.equal(await models.status(model.id), undefined);
    assert.equal(await datasets.deleteForTeam(dataset.id, otherTeam), false);
    assert.equal(await datasets.deleteForTeam(dataset.id, teamId), true);
  });
});
