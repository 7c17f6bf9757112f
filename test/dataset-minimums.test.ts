import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import 'reflect-metadata';
import { DATASET_MINIMUMS, datasetTrainabilityProblem } from '@maskgen/contracts';
import { BUILTIN_UCR_DATASETS } from '@maskgen/data';
import { PIPELINE_PROFILES, TRAINING_PROFILES } from '@maskgen/pipeline';
import { stage1Shapes } from '@maskgen/model';
import { startApiServer, type ApiServer } from './support/api-server';
import { apiCall, settled } from './support/http';
import { waitFor } from './support/services';

/** UCR .tsv text: one row per series, the class label first. */
function tsv(rows: readonly { label: string; length: number }[]): string {
  return rows
    .map(({ label, length }, i) =>
      [
        label,
        ...Array.from({ length }, (_, t) => (Math.sin(t * (Number(label) + 1) + i) + 0.01 * i).toFixed(4)),
      ].join('\t'),
    )
    .join('\n');
}

function rows(perClass: Record<string, number>, length: number) {
  return Object.entries(perClass).flatMap(([label, count]) =>
    Array.from({ length: count }, () => ({ label, length })),
  );
}

/**
 * Issue 20 item 5: a dataset of one series of length 3 was accepted though nothing can be trained on it. Datasets
 * below DATASET_MINIMUMS are refused where they are created (upload, synthetic, builtin) with the reason, and a
 * dataset exactly at the minimums trains and samples.
 */
describe('datasets no model can train on are refused at creation', () => {
  let server: ApiServer;

  const call = (method: string, url: string, body?: unknown) =>
    apiCall(server.base, server.key, method, url, body);

  function upload(name: string, train: string, test: string) {
    const form = new FormData();
    form.append('name', name);
    form.append('train', new Blob([train]), `${name}_TRAIN.tsv`);
    form.append('test', new Blob([test]), `${name}_TEST.tsv`);
    return call('POST', '/datasets/upload', form);
  }

  before(async () => {
    // Lengths and counts do not depend on the engine; tfjs keeps the training test off the ONNX export path.
    server = await startApiServer('dataset-minimums', { INFERENCE_ENGINE: 'tfjs' });
  });

  after(async () => {
    await server?.close();
  });

  test('one series of length 3 (the issue) is a 400 naming every reason', async () => {
    const refused = await upload('tiny', tsv(rows({ 1: 1 }, 3)), tsv(rows({ 1: 1 }, 3)));
    assert.equal(refused.status, 400, refused.text);
    const message = String(refused.json.message);
    assert.match(message, /^No model can be trained on this dataset: /);
    assert.match(message, /series have 3 steps, the model needs at least 5/);
    assert.match(message, /1 class, the model needs at least 2 classes/);
    assert.match(message, /the train split has 1 series, at least 10 are needed/);
    assert.match(message, /the test split has 1 series, at least 10 are needed/);
    assert.equal((await call('GET', '/datasets')).json.total, 0, 'nothing was stored');
  });

  test('each minimum on its own: length, classes, series per split, a class missing from train', async () => {
    const ok = { train: rows({ 1: 5, 2: 5 }, 16), test: rows({ 1: 5, 2: 5 }, 16) };
    const cases: {
      name: string;
      train: ReturnType<typeof rows>;
      test: ReturnType<typeof rows>;
      reason: RegExp;
    }[] = [
      {
        name: 'short',
        train: rows({ 1: 5, 2: 5 }, 4),
        test: rows({ 1: 5, 2: 5 }, 4),
        reason: /series have 4 steps, the model needs at least 5/,
      },
      {
        name: 'oneclass',
        train: rows({ 1: 10 }, 16),
        test: ok.test.slice(0, 5).concat(rows({ 1: 5 }, 16)),
        reason: /1 class, the model needs at least 2 classes/,
      },
      {
        name: 'fewtrain',
        train: rows({ 1: 5, 2: 4 }, 16),
        test: ok.test,
        reason: /the train split has 9 series, at least 10/,
      },
      {
        name: 'fewtest',
        train: ok.train,
        test: rows({ 1: 5, 2: 4 }, 16),
        reason: /the test split has 9 series, at least 10/,
      },
      {
        name: 'unseen',
        train: rows({ 1: 5, 2: 5 }, 16),
        test: rows({ 1: 5, 2: 5, 3: 2 }, 16),
        // The parser refuses it first, naming the line; stored rows get datasetTrainabilityProblem's reason.
        reason: /class label '3' does not occur in the training labels/,
      },
    ];
    for (const c of cases) {
      const refused = await upload(c.name, tsv(c.train), tsv(c.test));
      assert.equal(refused.status, 400, `${c.name}: ${refused.text}`);
      assert.match(String(refused.json.message), c.reason, c.name);
      assert.doesNotMatch(String(refused.json.message), /;/, `${c.name}: only its own reason`);
    }
    const synthetic = await call('POST', '/datasets/synthetic', {
      name: 'cbf-one-each',
      generator: 'cbf',
      trainPerClass: 1,
      testPerClass: 4,
      seed: 1,
    });
    assert.equal(synthetic.status, 400, synthetic.text);
    assert.match(String(synthetic.json.message), /the train split has 3 series, at least 10/);
    assert.equal((await call('GET', '/datasets')).json.total, 0);
  });

  test('every built-in dataset passes', async () => {
    for (const dataset of BUILTIN_UCR_DATASETS) {
      const created = await call('POST', '/datasets/builtin', { dataset });
      assert.equal(created.status, 201, `${dataset}: ${created.text}`);
    }
  });

  test('the minimum length is the smallest every profile builds its stage-1 grids for', () => {
    for (const profile of TRAINING_PROFILES) {
      const config = PIPELINE_PROFILES[profile].stage1;
      assert.doesNotThrow(() => stage1Shapes(DATASET_MINIMUMS.seriesLength, config), profile);
      assert.throws(() => stage1Shapes(DATASET_MINIMUMS.seriesLength - 1, config), RangeError, profile);
    }
  });

  test('a dataset exactly at the minimums is accepted, trains (tiny) and its model run is evaluated', async () => {
    const { seriesLength, seriesPerSplit } = DATASET_MINIMUMS;
    const perClass = { 1: seriesPerSplit / 2, 2: seriesPerSplit / 2 };
    const created = await upload(
      'smallest',
      tsv(rows(perClass, seriesLength)),
      tsv(rows(perClass, seriesLength)),
    );
    assert.equal(created.status, 201, created.text);
    const model = await call('POST', '/models', { datasetId: created.json.id, profile: 'tiny', seed: 1 });
    assert.equal(model.status, 202, model.text);
    const ready = await settled('model', String(model.json.id), (url) => call('GET', url), 120_000);
    assert.equal(ready.status, 'ready', String(ready.error));
    const run = await call('POST', '/runs', {
      sampler: { kind: 'model', modelId: model.json.id, method: 'ess', classes: 'balanced' },
      numSamples: seriesPerSplit,
      seed: 2,
    });
    assert.equal(run.status, 201, run.text);
    const done = await settled('run', String(run.json.id), (url) => call('GET', url), 120_000);
    assert.equal(done.status, 'succeeded', String(done.error));
    const metrics = await call('GET', `/runs/${String(run.json.id)}/metrics`);
    const names = (metrics.json.items as { name: string }[]).map((m) => m.name);
    for (const name of ['fid', 'inception_score', 'rocket_fid']) assert.ok(names.includes(name), name);
    // The real reference of both splits evaluates too (POST /evaluations needs seriesPerSplit series).
    for (const split of ['train', 'test']) {
      const evaluation = await call('POST', '/evaluations', { datasetId: created.json.id, split });
      assert.equal(evaluation.status, 202, evaluation.text);
      const settled = await waitFor(
        `the ${split} evaluation`,
        async () => {
          const body = (await call('GET', `/evaluations/${String(evaluation.json.id)}`)).json;
          return ['succeeded', 'failed'].includes(String(body.status)) ? body : undefined;
        },
        60_000,
        250,
      );
      assert.equal(settled.status, 'succeeded', `${split}: ${String(settled.error)}`);
    }
  });
});

describe('datasetTrainabilityProblem (the one check the API and the pipeline share)', () => {
  test('a class the train split never shows is named', () => {
    const labels = (counts: number[]) => Int32Array.from(counts.flatMap((n, c) => Array<number>(n).fill(c)));
    assert.equal(
      datasetTrainabilityProblem({
        length: 16,
        classNames: ['a', 'b', 'c'],
        trainLabels: labels([6, 6, 0]),
        testLabels: labels([4, 4, 4]),
      }),
      "class 'c' has no series in the train split, so no model can learn it",
    );
    assert.equal(
      datasetTrainabilityProblem({
        length: 5,
        classNames: ['a', 'b'],
        trainLabels: labels([5, 5]),
        testLabels: labels([9, 1]),
      }),
      undefined,
    );
  });
});
