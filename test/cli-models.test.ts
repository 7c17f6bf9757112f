/**
 * The model paths of the `maskgen` CLI against a real API server with an in-process worker: train a model
 * (tiny profile) with a progress bar on a terminal, sample it naively and with ESS, compare, evaluate.
 * One model is trained by the first test and shared by the others.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApiServer, storeOneClassDataset, type ApiServer } from './support/api-server';
import { cli, ok } from './support/cli';
import type { SamplerMethod } from '@maskgen/contracts';

type Json = Record<string, unknown>;

interface ModelBody {
  id: string;
  status: string;
  progress: { stages: Record<string, { status: string; step: number; totalSteps: number }> };
}

interface RunBody {
  id: string;
  status: string;
  samplesStored: number;
  params: { sampler: Json; numSamples: number };
  shards: { total: number; succeeded: number };
}

/** Terminal output without colours, cursor moves and carriage returns: what a user ends up reading. */
function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, '').replace(/\r\n?/g, '\n');
}

describe('maskgen CLI with a trained model', () => {
  let server: ApiServer;
  let env: Record<string, string>;
  let datasetId: string;
  let modelId = '';
  const runIds = { naive: '', ess: '' };

  async function api<T = Json>(method: string, url: string, body?: unknown): Promise<T> {
    const response = await fetch(`${server.base}${url}`, {
      method,
      headers: { 'x-api-key': server.key, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    assert.ok(response.ok, `${method} ${url}: ${response.status} ${await response.clone().text()}`);
    return (await response.json()) as T;
  }

  before(async () => {
    server = await startApiServer('cli-models');
    env = { MASKGEN_API_URL: server.base, MASKGEN_API_KEY: server.key };
    datasetId = (await api<{ id: string }>('POST', '/datasets/builtin', { dataset: 'ItalyPowerDemand' })).id;
  });

  after(async () => {
    await server?.close();
  });

  test('models train --profile tiny --wait draws a progress bar on a terminal and ends ready', async () => {
    const trained = ok(
      await cli(
        ['models', 'train', '--dataset', datasetId, '--profile', 'tiny', '--seed', '1', '--wait'],
        { ...env },
        { tty: true },
      ),
    );
    const output = plain(trained.stdout);
    modelId = /training model ([0-9a-f-]{36})/.exec(output)?.[1] ?? '';
    assert.ok(modelId, output);
    const model = await api<ModelBody>('GET', `/models/${modelId}`);
    assert.equal(model.status, 'ready');

    // The bar of the last stage (the critic: the classifier trains beside stage 1), full, with the final status.
    const critic = model.progress.stages.critic;
    assert.ok(critic.totalSteps > 0);
    assert.match(
      output,
      new RegExp(
        `train critic \\[={30}\\] ${critic.totalSteps}/${critic.totalSteps} steps \\| loss [-\\d.e]+ \\| ready`,
      ),
    );
    // Then the model as a table: status and every stage done with all its steps.
    assert.match(output, /│ status\s+│ ready\s+│/);
    for (const [name, stage] of Object.entries(model.progress.stages)) {
      assert.equal(stage.status, 'done', name);
      assert.match(output, new RegExp(`│ ${name}\\s+│ done\\s+│ ${stage.step}/${stage.totalSteps}\\s+│`));
    }

    const shown = JSON.parse(ok(await cli(['--json', 'models', 'show', modelId], env)).stdout) as Json;
    assert.deepEqual(shown, await api('GET', `/models/${modelId}`));
    const listed = JSON.parse(
      ok(await cli(['models', 'list', '--json', '--status', 'ready', '--dataset', datasetId], env)).stdout,
    ) as { items: { id: string }[] };
    assert.deepEqual(
      listed.items.map((m) => m.id),
      [modelId],
    );
  });

  test('training that fails makes --wait exit 1 with the stage and the message', async () => {
    const oneClass = await storeOneClassDataset(server, server.key);
    const failed = await cli(
      [
        '--json',
        'models',
        'train',
        '--dataset',
        oneClass,
        '--profile',
        'tiny',
        '--wait',
        '--interval',
        '100',
      ],
      env,
    );
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    const model = JSON.parse(failed.stdout) as { id: string; status: string; error: string };
    assert.equal(model.status, 'failed');
    assert.deepEqual(model, await api('GET', `/models/${model.id}`));
    assert.equal(
      failed.stderr,
      `error: model ${model.id} is failed: ${model.error}\n`,
      'the server message, after the JSON',
    );
    // Stage 1 and the evaluation classifier start together (issue 23's DAG); whichever refuses the dataset first names
    // itself.
    assert.match(model.error, /^(stage1|classifier): .*at least 2 classes/);
    // Waiting again on the finished model: the same answer at once.
    const again = await cli(['models', 'show', model.id, '--wait'], env);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /│ status\s+│ failed\s+│/);
  });

  test('runs create --model (naive and ESS) --wait: the runs the API stores, with metrics; too few samples is refused', async () => {
    assert.ok(modelId, 'needs the trained model of the first test');
    const create = (method: SamplerMethod, extra: string[]) =>
      cli(
        [
          'runs',
          'create',
          '--model',
          modelId,
          '--method',
          method,
          '--classes',
          'balanced',
          '--samples',
          '10',
          '--shard-size',
          '5',
          '--seed',
          '7',
          '--wait',
          '--interval',
          '100',
          ...extra,
        ],
        env,
      );
    // Side by side: one prints JSON only, the other the progress lines (stderr is not a terminal here).
    const [naive, ess] = await Promise.all([create('naive', ['--json']), create('ess', [])]);

    const naiveRun = JSON.parse(ok(naive).stdout) as RunBody;
    assert.equal(naive.stderr, '', 'no progress output with --json');
    assert.equal(naiveRun.status, 'succeeded');
    assert.equal(naiveRun.samplesStored, 10);
    assert.deepEqual(naiveRun.params.sampler, {
      kind: 'model',
      modelId,
      method: 'naive',
      classes: 'balanced',
    });
    assert.deepEqual(naiveRun, await api('GET', `/runs/${naiveRun.id}`));
    runIds.naive = naiveRun.id;

    ok(ess);
    runIds.ess = /started run ([0-9a-f-]{36})/.exec(ess.stderr)?.[1] ?? '';
    assert.ok(runIds.ess, ess.stderr);
    const essRun = await api<RunBody>('GET', `/runs/${runIds.ess}`);
    assert.equal(essRun.status, 'succeeded');
    assert.equal((essRun.params.sampler as { method: string }).method, 'ess');
    // One progress line per change, ending with both shards done.
    assert.match(
      ess.stderr,
      new RegExp(
        `run ${runIds.ess.slice(0, 8)}: 10/10 samples 100% \\| stored 10 \\| shards 2/2 \\| elapsed [^|]+ \\| succeeded\\n$`,
      ),
    );
    assert.match(ess.stdout, /│ status\s+│ succeeded\s+│/);
    assert.match(ess.stdout, new RegExp(`│ sampler\\s+│ ess · model ${modelId.slice(0, 8)}\\s+│`));
    assert.match(ess.stdout, /│ samples\s+│ 10 \/ 10\s+│/);

    // runs show --json: the run and its metrics, as the API has them.
    const shown = JSON.parse(ok(await cli(['--json', 'runs', 'show', runIds.ess], env)).stdout) as Json;
    const metrics = await api<{ items: { name: string; value: number }[] }>(
      'GET',
      `/runs/${runIds.ess}/metrics`,
    );
    assert.deepEqual(shown, { ...essRun, metrics: metrics.items });
    const names = metrics.items.map((metric) => metric.name);
    for (const name of ['fid', 'inception_score', 'rocket_fid', 'cas', 'critic_distance'])
      assert.ok(names.includes(name), `metric ${name} in ${names.join(', ')}`);

    // compare: JSON is the API's answer; the table has one column per run and a row per metric.
    const compareArgs = ['runs', 'compare', runIds.naive, runIds.ess];
    const [comparedJson, comparedTable] = await Promise.all([
      cli(['--json', ...compareArgs], env),
      cli(compareArgs, env),
    ]);
    const compared = await api<{ runs: { name: string; metrics: Record<string, number> }[] }>(
      'GET',
      `/runs/compare?ids=${runIds.naive},${runIds.ess}`,
    );
    assert.deepEqual(JSON.parse(ok(comparedJson).stdout), compared);
    const table = ok(comparedTable).stdout;
    assert.match(
      table,
      new RegExp(
        `│ metric\\s+│ naive sampler · ${runIds.naive.slice(0, 8)}\\s+│ ess sampler · ${runIds.ess.slice(0, 8)}\\s+│`,
      ),
    );
    const fidRow = table.split('\n').find((line) => /^│ fid\s/.test(line));
    assert.ok(fidRow, table);
    const fids = compared.runs.map((run) => run.metrics.fid);
    assert.ok(
      fids.every((fid) => Number.isFinite(fid) && fid >= 0),
      String(fids),
    );
    // Printed to four significant digits (or decimals).
    const printed = fidRow
      .split('│')
      .slice(2, 4)
      .map((cell) => Number(cell.trim()));
    // Four decimals: within half a unit of the last one (small FIDs of the full-split protocol have few digits).
    printed.forEach((value, i) =>
      assert.ok(Math.abs(value - fids[i]) <= Math.max(5e-5, 1e-3 * Math.abs(fids[i])), fidRow),
    );

    // Model runs need at least 10 samples (the API says so; the CLI passes its message on).
    const tooFew = await cli(['runs', 'create', '--model', modelId, '--samples', '9'], env);
    assert.equal(tooFew.code, 1);
    assert.match(tooFew.stderr, /^error: .*at least 10.*\(HTTP 400\)$/m);
  });

  test('eval create --wait: a run and a real split; the JSON is the API evaluation', async () => {
    assert.ok(runIds.naive, 'needs the naive run of the previous test');
    const [ofRun, ofSplit, both] = await Promise.all([
      cli(['eval', 'create', '--run', runIds.naive, '--wait', '--interval', '100', '--json'], env),
      cli(['eval', 'create', '--dataset', datasetId, '--split', 'test', '--wait', '--interval', '100'], env),
      cli(['eval', 'create', '--run', runIds.naive, '--dataset', datasetId], env),
    ]);
    const evaluation = JSON.parse(ok(ofRun).stdout) as {
      id: string;
      status: string;
      target: Json;
      metrics: Record<string, number>;
    };
    assert.equal(evaluation.status, 'succeeded');
    assert.deepEqual(evaluation.target, { kind: 'run', runId: runIds.naive, datasetId, modelId });
    assert.ok(
      Number.isFinite(evaluation.metrics.fid) && evaluation.metrics.fid >= 0,
      String(evaluation.metrics.fid),
    );
    assert.deepEqual(evaluation, await api('GET', `/evaluations/${evaluation.id}`));

    // The test split against itself: FID 0, printed in the table, with the model the API picked.
    ok(ofSplit);
    assert.match(ofSplit.stderr, /evaluation [0-9a-f]{8}: 1\/1 succeeded\n$/);
    assert.match(ofSplit.stdout, /│ status\s+│ succeeded\s+│/);
    assert.match(ofSplit.stdout, new RegExp(`│ target\\s+│ dataset ${datasetId} \\(test\\)\\s+│`));
    assert.match(ofSplit.stdout, new RegExp(`│ model\\s+│ ${modelId}\\s+│`));
    const fid = /│ fid\s+│ (\S+)\s+│/.exec(ofSplit.stdout)?.[1];
    assert.ok(fid !== undefined && Math.abs(Number(fid)) < 1e-3, ofSplit.stdout);

    assert.equal(both.code, 2);
    assert.match(both.stderr, /Pass exactly one of --run <id> or --dataset <id>/);

    const listed = JSON.parse(ok(await cli(['--json', 'eval', 'list'], env)).stdout) as { total: number };
    assert.equal(listed.total, 2);
  });
});
