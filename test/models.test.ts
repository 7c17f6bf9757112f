import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import 'reflect-metadata';
import pino from 'pino';
import * as tf from '@tensorflow/tfjs-core';
import { createInferenceEngine } from '@maskgen/inference';
import { ModelRepository } from '@maskgen/persistence';
import { JobName, type SamplerMethod } from '@maskgen/contracts';
import { EventBus, JobQueueRepository, type AppEvent } from '@maskgen/queues';
import { DataSource } from 'typeorm';
import { ModelCache } from '../apps/worker/src/models/model-cache';
import { startApiServer, storeOneClassDataset, type ApiServer } from './support/api-server';
import { waitFor } from './support/services';
import { apiCall, settled, type Json } from './support/http';

interface ModelBody {
  id: string;
  status: string;
  error: string | null;
  progress: {
    stage: string | null;
    step: number;
    stages: Record<string, { status: string; step: number; totalSteps: number; history: unknown[] }>;
  };
  metrics: Record<string, number>;
  checkpoints: { stage: string; sha256: string; byteSize: number }[];
}

interface RunBody {
  id: string;
  status: string;
  error: string | null;
  samplesStored: number;
  provenance: {
    engines: { engine: string; threads: number; graphHash: string | null }[];
    modelHash: string;
    codeVersion: string;
  } | null;
  ess: {
    config: Record<string, unknown> | null;
    consistent: boolean;
    batches: {
      firstSample: number;
      shardIndex: number;
      sampleCount: number;
      tStar: number;
      criticWorse: number;
    }[];
    tStarHistogram: Record<string, number>;
    samples: number;
    criticWorse: number;
  } | null;
}

describe('models: training flow, model samplers (naive, ESS), critic scores, evaluations, compare', () => {
  let server: ApiServer;
  let app: INestApplication;
  let base: string;
  let keyA: string;
  let keyB: string;
  let datasetId: string;
  let modelId: string;
  const runIds: Record<SamplerMethod, string> = { naive: '', ess: '' };

  const call = (method: string, url: string, key: string, body?: unknown) =>
    apiCall(base, key, method, url, body);

  async function settledRun(id: string, timeoutMs = 60_000): Promise<RunBody> {
    return (await settled('run', id, (url) => call('GET', url, keyA), timeoutMs)) as unknown as RunBody;
  }

  before(async () => {
    server = await startApiServer('models', {
      TEAM_MAX_ACTIVE_RUNS: '5',
      // The schedule test fires every 3 s.
      SCHEDULE_MIN_INTERVAL_SECONDS: '1',
    });
    ({ app, base, key: keyA } = server);
    keyB = await server.newTeamKey('models-b');
    const dataset = await call('POST', '/datasets/synthetic', keyA, {
      name: 'cbf-tiny',
      generator: 'cbf',
      length: 64,
      trainPerClass: 6,
      testPerClass: 4,
      seed: 3,
    });
    assert.equal(dataset.status, 201, dataset.text);
    datasetId = String(dataset.json.id);
  });

  after(async () => {
    await server?.close();
  });

  test('POST /models trains the four stages as jobs; checkpoints, progress and metrics are stored', async () => {
    const bus = app.get(EventBus);
    await bus.ready();
    const events: AppEvent[] = [];
    const unsubscribe = bus.subscribe((event) => events.push(event));
    const created = await call('POST', '/models', keyA, { datasetId, profile: 'tiny', seed: 1 });
    assert.equal(created.status, 202, created.text);
    assert.equal(created.json.status, 'pending');
    assert.equal(created.json.name, 'cbf-tiny-tiny');
    modelId = String(created.json.id);

    const ready = (await settled(
      'model',
      modelId,
      (url) => call('GET', url, keyA),
      60_000,
    )) as unknown as ModelBody;
    assert.equal(ready.status, 'ready', ready.error ?? '');
    assert.deepEqual(ready.checkpoints.map((c) => c.stage).sort(), [
      'classifier',
      'critic',
      'prior',
      'stage1',
    ]);
    for (const checkpoint of ready.checkpoints) {
      assert.match(checkpoint.sha256, /^[0-9a-f]{64}$/);
      assert.ok(checkpoint.byteSize > 0);
    }
    for (const stage of ['stage1', 'prior', 'critic', 'classifier']) {
      const progress = ready.progress.stages[stage];
      assert.equal(progress?.status, 'done', stage);
      assert.ok(progress.step > 0 && progress.step === progress.totalSteps, `${stage} ran all its steps`);
      assert.ok(progress.history.length > 0, `${stage} has a loss history`);
    }
    // The training DAG (issue 23 item 3): the critic, which needs every other stage but the classifier, ends it;
    // the classifier (evaluate queue) started before stage 1 (train queue) ended.
    assert.equal(ready.progress.stage, 'critic');
    const jobs = app.get(JobQueueRepository);
    const stage1Job = await jobs.jobTimes(JobName.TrainStage1, `${modelId}-stage1`);
    const classifierJob = await jobs.jobTimes(JobName.TrainClassifier, `${modelId}-classifier`);
    const criticJob = await jobs.jobTimes(JobName.TrainCritic, `${modelId}-critic`);
    assert.ok(stage1Job?.finishedOn && classifierJob?.processedOn && classifierJob.finishedOn, 'jobs kept');
    assert.ok(classifierJob.processedOn < stage1Job.finishedOn, 'the classifier trained beside stage 1');
    assert.ok(criticJob?.processedOn && criticJob.processedOn >= classifierJob.finishedOn, 'critic ran last');
    const { classifierTestAccuracy: accuracy, stage1TestMse: mse } = ready.metrics;
    assert.ok(Number(accuracy) >= 0 && Number(accuracy) <= 1, `classifier test accuracy ${accuracy}`);
    assert.ok(Number.isFinite(mse) && Number(mse) > 0, `stage-1 test MSE ${mse}`);

    // Progress and status changes were published (GET /events) for the model's team only.
    unsubscribe();
    const published = events.filter((event) => event.type === 'model' && event.data.id === modelId);
    assert.ok(published.every((event) => event.teamId === published[0]?.teamId));
    const statuses = new Set(published.map((event) => event.data.status));
    for (const status of ['pending', 'training', 'ready']) assert.ok(statuses.has(status), status);

    const listed = await call('GET', `/models?status=ready&datasetId=${datasetId}`, keyA);
    assert.deepEqual(
      (listed.json.items as { id: string }[]).map((model) => model.id),
      [modelId],
    );
    assert.equal((await call('GET', '/models', keyB)).json.total, 0);
    // A model keeps its dataset.
    assert.equal((await call('DELETE', `/datasets/${datasetId}`, keyA)).status, 409);
  });

  test('a model that cannot train (one class) fails with the stage and the message', async () => {
    const oneClass = await storeOneClassDataset(server, keyA);
    const created = await call('POST', '/models', keyA, { datasetId: oneClass, profile: 'tiny', seed: 1 });
    assert.equal(created.status, 202, created.text);
    const failed = await waitFor('the model to fail', async () => {
      const model = (await call('GET', `/models/${String(created.json.id)}`, keyA))
        .json as unknown as ModelBody;
      return model.status === 'failed' ? model : undefined;
    });
    assert.match(failed.error ?? '', /^(stage1|classifier): .*at least 2 classes/);
    // Stage 1 and the classifier start together; the one that found it first failed the model and stopped the other.
    const failedStage = /^(\w+):/.exec(failed.error ?? '')?.[1] ?? '';
    assert.equal(failed.progress.stages[failedStage]?.status, 'failed');
    assert.deepEqual(failed.checkpoints, []);
    assert.equal((await call('DELETE', `/models/${String(created.json.id)}`, keyA)).status, 204);
  });

  test('bad model requests are 4xx with a message; other teams get 404', async () => {
    const invalid = await call('POST', '/models', keyA, { datasetId: 'nope', profile: 'huge', seed: -1 });
    assert.equal(invalid.status, 400);
    assert.ok(Array.isArray(invalid.json.message) && invalid.json.message.length >= 3, invalid.text);
    const unknown = await call('POST', '/models', keyA, {
      datasetId: '00000000-0000-4000-8000-000000000000',
    });
    assert.equal(unknown.status, 404);
    assert.equal((await call('POST', '/models', keyB, { datasetId })).status, 404);
    assert.equal((await call('GET', `/models/${modelId}`, keyB)).status, 404);
    assert.equal((await call('POST', `/models/${modelId}/cancel`, keyB)).status, 404);
    assert.equal((await call('DELETE', `/models/${modelId}`, keyB)).status, 404);
    assert.equal((await call('GET', '/models/not-a-uuid', keyA)).status, 400);
    assert.equal((await call('POST', `/models/${modelId}/cancel`, keyA)).status, 409);
  });

  test('model runs (naive and ESS) store exactly the requested samples with critic scores and metrics', async () => {
    const cache = app.get(ModelCache);
    const loadsBefore = cache.stats.loads;
    for (const method of ['naive', 'ess'] as const) {
      // ESS with the legacy keepVisible flag: stored as variant D, the rest of its settings from the defaults.
      const ess = method === 'ess' ? { ess: { keepVisible: true } } : {};
      const created = await call('POST', '/runs', keyA, {
        sampler: { kind: 'model', modelId, method, classes: 'balanced', ...ess },
        numSamples: 12,
        shardSize: 6,
        seed: 11,
      });
      assert.equal(created.status, 201, created.text);
      runIds[method] = String(created.json.id);
    }
    for (const method of ['naive', 'ess'] as const) {
      const run = await settledRun(runIds[method]);
      assert.equal(run.status, 'succeeded', `${method}: ${run.error ?? ''}`);
      assert.equal(run.samplesStored, 12);
      // Two shards on one worker: one engine entry, on ONNX Runtime (the default where it loads).
      assert.equal(run.provenance?.engines.length, 1, JSON.stringify(run.provenance));
      assert.equal(run.provenance?.engines[0].engine, 'ort');
      assert.match(run.provenance?.engines[0].graphHash ?? '', /^[0-9a-f]{64}$/);
      assert.match(run.provenance?.modelHash ?? '', /^[0-9a-f]{64}$/);
      assert.match(run.provenance?.codeVersion ?? '', /^\d+\.\d+\.\d+/);
      const metrics = await call('GET', `/runs/${run.id}/metrics`, keyA);
      const names = new Set((metrics.json.items as { name: string }[]).map((metric) => metric.name));
      for (const name of ['samples', 'fid', 'inception_score', 'rocket_fid', 'cas', 'critic_distance'])
        assert.ok(names.has(name), `${method} run has metric ${name}`);
      for (const name of ['ess_t_star', 'ess_critic_worse_share'])
        assert.equal(names.has(name), method === 'ess', `${method} run: metric ${name}`);
      if (method === 'naive') assert.equal(run.ess, null);
      else {
        // Every sampler call recorded its resolved settings and t*: one call per 6-sample shard.
        assert.deepEqual(run.ess?.config, {
          windowRate: 0.3,
          threshold: 1,
          applyTo: 'lf',
          variant: 'D',
          skipNoOpStep: true,
          perSampleTStar: false,
          criticTemperature: 1,
          fixedTStar: null,
        });
        assert.equal(run.ess.consistent, true);
        assert.deepEqual(
          run.ess.batches.map((b) => [b.firstSample, b.shardIndex, b.sampleCount]),
          [
            [0, 0, 6],
            [6, 1, 6],
          ],
        );
        assert.ok(run.ess.batches.every((b) => b.tStar >= 1 && b.tStar <= 9 && b.criticWorse <= 6));
        assert.equal(run.ess.samples, 12);
        assert.equal(
          Object.values(run.ess.tStarHistogram).reduce((a, n) => a + n, 0),
          12,
        );
        const tStarMetric = (metrics.json.items as { name: string; value: number; details: Json }[]).find(
          (metric) => metric.name === 'ess_t_star',
        );
        assert.deepEqual(tStarMetric?.details.samplesPerTStar, run.ess.tStarHistogram);
      }

      const page = await call('GET', `/runs/${run.id}/samples?limit=100`, keyA);
      const items = page.json.items as { index: number; classIndex: number; values: number[] }[];
      assert.deepEqual(
        items.map((item) => item.index),
        Array.from({ length: 12 }, (_, i) => i),
      );
      assert.deepEqual(
        items.map((item) => item.classIndex),
        Array.from({ length: 12 }, (_, i) => i % 3),
      );
      assert.equal(items[0].values.length, 64);
    }
    // Both runs' four shards and two evaluations used the model loaded once.
    assert.equal(cache.stats.loads - loadsBefore, 1);
    assert.deepEqual(cache.cachedIds(), [modelId]);

    const naive = await call('GET', `/runs/${runIds.naive}/samples/3/critic`, keyA);
    assert.equal(naive.status, 200, naive.text);
    const naiveLf = naive.json.lf as { rows: number; columns: number; before: number[]; after: unknown };
    assert.equal(naiveLf.before.length, naiveLf.rows * naiveLf.columns);
    assert.equal(naiveLf.after, null);
    const ess = await call('GET', `/runs/${runIds.ess}/samples/11/critic`, keyA);
    assert.equal(ess.status, 200, ess.text);
    const essLf = ess.json.lf as { rows: number; columns: number; after: number[]; remasked: number[] };
    assert.equal(essLf.after.length, essLf.rows * essLf.columns);
    assert.equal(essLf.remasked.length, essLf.rows * essLf.columns);
    assert.ok(essLf.remasked.every((flag) => flag === 0 || flag === 1));

    // Tokens are stored with the samples. Same seed and shards: ESS refined exactly the naive run's LF tokens, so
    // every LF token it did not re-mask is the naive run's token at that position.
    type TokenPage = { items: { tokens: { lf: number[]; hf: number[] } | null }[] };
    const tokensOf = async (runId: string) =>
      ((await call('GET', `/runs/${runId}/samples?offset=11&limit=1`, keyA)).json as TokenPage).items[0]
        .tokens;
    const naiveTokens = await tokensOf(runIds.naive);
    const essTokens = await tokensOf(runIds.ess);
    assert.ok(naiveTokens && essTokens, 'model samples carry their tokens');
    assert.equal(essTokens.lf.length, essLf.rows * essLf.columns);
    assert.ok(essTokens.hf.length > 0);
    for (const ids of [naiveTokens.lf, naiveTokens.hf, essTokens.lf, essTokens.hf])
      assert.ok(
        ids.every((id) => Number.isInteger(id) && id >= 0 && id < 32),
        'no mask id (K = 32) is stored',
      );
    const kept = essLf.remasked.flatMap((flag, j) => (flag === 0 ? [j] : []));
    assert.ok(kept.length > 0 && kept.length < essLf.remasked.length);
    assert.deepEqual(
      kept.map((j) => essTokens.lf[j]),
      kept.map((j) => naiveTokens.lf[j]),
    );
    assert.equal((await call('GET', `/runs/${runIds.ess}/samples/12/critic`, keyA)).status, 404);
    assert.equal((await call('GET', `/runs/${runIds.ess}/samples/x/critic`, keyA)).status, 400);
    assert.equal((await call('GET', `/runs/${runIds.ess}/samples/0/critic`, keyB)).status, 404);
  });

  test('the model cache is bounded: the least recently used model is disposed once nobody uses it', async () => {
    // A second ready model with the same checkpoints, copied in SQL instead of training again.
    const database = app.get(DataSource);
    const [copy] = await database.query<{ id: string }[]>(
      `INSERT INTO models (team_id, dataset_id, name, status, profile, seed, hyperparameters, progress, metrics)
       SELECT team_id, dataset_id, name || '-copy', status, profile, seed, hyperparameters, progress, metrics
       FROM models WHERE id = $1 RETURNING id`,
      [modelId],
    );
    await database.query(
      `INSERT INTO model_checkpoints (model_id, stage, bytes, content_sha256, byte_size)
       SELECT $2, stage, bytes, content_sha256, byte_size FROM model_checkpoints WHERE model_id = $1`,
      [modelId, copy.id],
    );
    const cache = new ModelCache(app.get(ModelRepository), pino({ level: 'silent' }), 1, {
      engine: createInferenceEngine({ preference: 'tfjs' }),
    });
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    const baseline = tf.memory().numTensors;
    const first = await cache.acquire(modelId);
    const perModel = tf.memory().numTensors - baseline;
    assert.ok(perModel > 0);
    first.release();
    const second = await cache.acquire(copy.id);
    await settle();
    assert.equal(tf.memory().numTensors, baseline + perModel, 'the evicted, unused model was disposed');
    assert.deepEqual(cache.cachedIds(), [copy.id]);
    // Evicting a model a job still holds defers its disposal to the release.
    const again = await cache.acquire(modelId);
    await settle();
    assert.equal(tf.memory().numTensors, baseline + 2 * perModel);
    second.release();
    assert.equal(tf.memory().numTensors, baseline + perModel);
    again.release();
    cache.onModuleDestroy();
    await database.query('DELETE FROM models WHERE id = $1', [copy.id]);
    await settle();
    assert.equal(tf.memory().numTensors, baseline, 'no tensors leak');
    assert.deepEqual(cache.stats, { loads: 3, hits: 0, evictions: 3 });
  });

  test('retrying a failed model run settles it again (evaluation included) without regenerating', async () => {
    const database = app.get(DataSource);
    await database.query(`UPDATE runs SET status = 'failed', error = 'evaluation: lost' WHERE id = $1`, [
      runIds.naive,
    ]);
    const retried = await call('POST', `/runs/${runIds.naive}/retry`, keyA);
    assert.equal(retried.status, 200, retried.text);
    const run = await settledRun(runIds.naive);
    assert.equal(run.status, 'succeeded', run.error ?? '');
    assert.equal(run.samplesStored, 12);
    assert.equal((await call('POST', `/runs/${runIds.naive}/retry`, keyA)).status, 409);
  });

  test('compare puts runs side by side; bad or foreign ids are refused', async () => {
    const compared = await call('GET', `/runs/compare?ids=${runIds.naive},${runIds.ess}`, keyA);
    assert.equal(compared.status, 200, compared.text);
    const runs = compared.json.runs as { id: string; status: string; metrics: Record<string, number> }[];
    assert.deepEqual(
      runs.map((run) => run.id),
      [runIds.naive, runIds.ess],
    );
    for (const run of runs)
      assert.ok(Number.isFinite(run.metrics.fid) && Number(run.metrics.fid) >= 0, String(run.metrics.fid));
    // Which way is better for every metric, and the FID difference with its paired bootstrap CI (issue 19).
    const better = compared.json.betterDirection as Record<string, string | null>;
    assert.deepEqual(
      Object.keys(better),
      [...new Set(runs.flatMap((run) => Object.keys(run.metrics)))].sort(),
    );
    assert.equal(better.fid, 'lower');
    assert.equal(better.class_tv, 'lower');
    assert.equal(better.inception_score, 'higher');
    assert.equal(compared.json.unavailable, null);
    const [comparison] = compared.json.comparisons as {
      baseline: number;
      other: number;
      difference: number;
      ci: { low: number; high: number; level: number; replicates: number };
      pairedSamples: number;
      better: string | null;
    }[];
    assert.deepEqual(
      [comparison.baseline, comparison.other, comparison.ci.level, comparison.ci.replicates],
      [0, 1, 0.95, 200],
    );
    assert.ok(comparison.ci.low <= comparison.difference && comparison.difference <= comparison.ci.high);
    assert.ok(comparison.pairedSamples >= 10);
    const groups = compared.json.groups as {
      runIds: string[];
      fid: number;
      meanTerm: number;
      covarianceTerm: number;
    }[];
    assert.deepEqual(
      groups.map((group) => group.runIds),
      [[runIds.naive], [runIds.ess]],
    );
    assert.ok(Math.abs(groups[0].meanTerm + groups[0].covarianceTerm - groups[0].fid) < 1e-6);
    // Groups of runs (sampling seeds) with ';': here one run per group, so the same answer.
    const grouped = await call('GET', `/runs/compare?ids=${runIds.naive};${runIds.ess}`, keyA);
    assert.equal(grouped.status, 200, grouped.text);
    assert.deepEqual(grouped.json.comparisons, compared.json.comparisons);
    // The evaluation states its protocol, judge, FID terms and the real train-vs-test reference.
    const stored = await call('GET', `/runs/${runIds.naive}/metrics`, keyA);
    const items = stored.json.items as { name: string; value: number; details: Record<string, unknown> }[];
    const fid = items.find((item) => item.name === 'fid')!;
    assert.equal((fid.details.judge as { profile: string }).profile, 'custom');
    assert.ok(
      Math.abs((fid.details.meanTerm as number) + (fid.details.covarianceTerm as number) - fid.value) < 1e-6,
    );
    assert.equal(
      typeof (fid.details.reference as { trainVsTest: { fid: number } }).trainVsTest.fid,
      'number',
    );
    assert.ok(items.some((item) => item.name === 'class_tv' && item.value >= 0 && item.value <= 1));
    assert.equal((await call('GET', '/runs/compare?ids=nope', keyA)).status, 400);
    assert.equal((await call('GET', '/runs/compare', keyA)).status, 400);
    assert.equal((await call('GET', `/runs/compare?ids=${runIds.naive}`, keyB)).status, 404);
  });

  test('model run requests: unknown or foreign model 404, not ready 409, bad sampler 400', async () => {
    const sampler = { kind: 'model', modelId, method: 'ess' };
    assert.equal((await call('POST', '/runs', keyB, { sampler, numSamples: 10 })).status, 404);
    const badMethod = await call('POST', '/runs', keyA, {
      sampler: { ...sampler, method: 'greedy', ess: { windowRate: 7 } },
      numSamples: 5,
    });
    assert.equal(badMethod.status, 400);
    assert.match(JSON.stringify(badMethod.json.message), /method/);
    assert.match(JSON.stringify(badMethod.json.message), /windowRate/);
    const tooFew = await call('POST', '/runs', keyA, { sampler, numSamples: 9 });
    assert.equal(tooFew.status, 400);
    assert.match(String(tooFew.json.message), /at least 10/);
    const badKind = await call('POST', '/runs', keyA, { sampler: { kind: 'gan' }, numSamples: 5 });
    assert.equal(badKind.status, 400);
    assert.match(JSON.stringify(badKind.json.message), /sampler\.kind must be one of .*synthetic, model/);
    const pending = await call('POST', '/models', keyA, { datasetId, profile: 'tiny', seed: 2 });
    const notReady = await call('POST', '/runs', keyA, {
      sampler: { ...sampler, modelId: String(pending.json.id) },
      numSamples: 10,
    });
    assert.equal(notReady.status, 409, notReady.text);
    assert.equal((await call('POST', `/models/${String(pending.json.id)}/cancel`, keyA)).status, 200);
  });

  test('evaluations: of a run and of a real split; validation and isolation', async () => {
    const ofRun = await call('POST', '/evaluations', keyA, { runId: runIds.naive });
    assert.equal(ofRun.status, 202, ofRun.text);
    const ofSplit = await call('POST', '/evaluations', keyA, { datasetId, split: 'test' });
    assert.equal(ofSplit.status, 202, ofSplit.text);
    const settled = async (id: string) =>
      waitFor(`evaluation ${id}`, async () => {
        const body = (await call('GET', `/evaluations/${id}`, keyA)).json;
        return ['succeeded', 'failed'].includes(String(body.status)) ? body : undefined;
      });
    const runEvaluation = await settled(String(ofRun.json.id));
    assert.equal(runEvaluation.status, 'succeeded', String(runEvaluation.error));
    const runFid = (runEvaluation.metrics as Json).fid;
    assert.ok(Number.isFinite(runFid) && Number(runFid) >= 0, String(runFid));
    const splitEvaluation = await settled(String(ofSplit.json.id));
    assert.equal(splitEvaluation.status, 'succeeded', String(splitEvaluation.error));
    // The test split against itself: identical feature statistics.
    assert.ok(Math.abs((splitEvaluation.metrics as Record<string, number>).fid) < 1e-6);
    assert.deepEqual(splitEvaluation.target, { kind: 'split', datasetId, split: 'test', modelId });

    const listed = await call('GET', '/evaluations', keyA);
    assert.equal(listed.json.total, 2);
    assert.equal((await call('GET', '/evaluations', keyB)).json.total, 0);
    assert.equal((await call('GET', `/evaluations/${String(ofRun.json.id)}`, keyB)).status, 404);
    // An evaluation id is not a generation run to evaluate, nor is a run an evaluation.
    assert.equal((await call('GET', `/evaluations/${runIds.ess}`, keyA)).status, 404);
    assert.equal((await call('POST', '/evaluations', keyA, {})).status, 400);
    assert.equal((await call('POST', '/evaluations', keyA, { datasetId })).status, 400);
    assert.equal(
      (await call('POST', '/evaluations', keyA, { datasetId, split: 'test', runId: runIds.ess })).status,
      400,
    );
    assert.equal((await call('POST', '/evaluations', keyB, { runId: runIds.ess })).status, 404);
    assert.equal((await call('POST', '/evaluations', keyB, { datasetId, split: 'train' })).status, 404);
  });

  test('a schedule can run a model sampler; its history lists the runs with their metrics', async () => {
    const put = await call('PUT', '/schedules/model-nightly', keyA, {
      cron: '*/3 * * * * *',
      timezone: 'UTC',
      run: {
        sampler: { kind: 'model', modelId, method: 'ess', classes: 'balanced' },
        numSamples: 10,
        shardSize: 10,
      },
    });
    assert.equal(put.status, 200, put.text);
    const history = await waitFor(
      'a scheduled model run with metrics',
      async () => {
        const listed = await call('GET', '/schedules/model-nightly/history', keyA);
        const runs = listed.json as unknown as { status: string; metrics: Record<string, number> }[];
        return runs.find((run) => run.status === 'succeeded' && typeof run.metrics.fid === 'number')
          ? runs
          : undefined;
      },
      30_000,
      250,
    ).catch(async (error: Error) => {
      const listed = await call('GET', '/schedules/model-nightly/history', keyA);
      throw new Error(`${error.message}: ${listed.text}`);
    });
    assert.ok(history.length >= 1);
    assert.equal((await call('DELETE', '/schedules/model-nightly', keyA)).status, 204);
    assert.equal((await call('GET', '/schedules/model-nightly/history', keyB)).status, 404);
    assert.equal((await call('GET', '/schedules/never-made/history', keyA)).status, 404);
    const foreignModel = await call('PUT', '/schedules/other', keyB, {
      cron: '0 2 * * *',
      timezone: 'UTC',
      run: { sampler: { kind: 'model', modelId, method: 'naive' }, numSamples: 10 },
    });
    assert.equal(foreignModel.status, 404);
    // Let scheduled runs still in flight finish before the next test counts active runs.
    await waitFor('scheduled runs to settle', async () => {
      const runs = (await call('GET', '/schedules/model-nightly/history', keyA)).json as unknown as {
        status: string;
      }[];
      return runs.every((run) => run.status !== 'queued' && run.status !== 'running') ? true : undefined;
    });
  });

  test('a model in use by an active run cannot be deleted; afterwards it can', async () => {
    const busy = await call('POST', '/runs', keyA, {
      sampler: { kind: 'model', modelId, method: 'naive' },
      numSamples: 5000,
      shardSize: 500,
    });
    assert.equal(busy.status, 201, busy.text);
    const refused = await call('DELETE', `/models/${modelId}`, keyA);
    assert.equal(refused.status, 409);
    assert.match(String(refused.json.message), /active run/);
    assert.equal((await call('POST', `/runs/${String(busy.json.id)}/cancel`, keyA)).status, 200);
    assert.equal((await call('DELETE', `/models/${modelId}`, keyA)).status, 204);
    assert.equal((await call('GET', `/models/${modelId}`, keyA)).status, 404);
    // Finished runs keep their samples and metrics without the model.
    assert.equal((await call('GET', `/runs/${runIds.ess}/metrics`, keyA)).status, 200);
  });

  test('cancelling a training model aborts its running stage; no later stage runs', async () => {
    const created = await call('POST', '/models', keyA, { datasetId, profile: 'cpu', seed: 5 });
    const id = String(created.json.id);
    await waitFor(
      'stage 1 to start',
      async () => {
        const model = (await call('GET', `/models/${id}`, keyA)).json as unknown as ModelBody;
        return model.progress.stages.stage1.status === 'running' ? model : undefined;
      },
      30_000,
      100,
    );
    const cancelled = await call('POST', `/models/${id}/cancel`, keyA);
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.json.status, 'cancelled');
    const stopped = await waitFor(
      'the running stage to stop',
      async () => {
        const model = (await call('GET', `/models/${id}`, keyA)).json as unknown as ModelBody;
        return model.progress.stages.stage1.status === 'cancelled' ? model : undefined;
      },
      10_000,
      100,
    );
    assert.equal(stopped.status, 'cancelled');
    assert.deepEqual(stopped.checkpoints, []);
    assert.equal(stopped.progress.stages.prior.status, 'pending');
  });
});
