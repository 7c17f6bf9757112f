import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startApiServer, type ApiServer } from './support/api-server';
import { cli, ok } from './support/cli';

/** `runs create` of a synthetic CBF run: series length, samples and shard size. */
const createCbfRun = (length: number, samples: number, shardSize: number): string[] =>
  ['runs', 'create', '--generator', 'cbf'].concat(
    ['--length', length, '--samples', samples, '--shard-size', shardSize].map(String),
  );

/** `schedules set` of a nightly (02:00) synthetic CBF schedule in `timezone`. */
const setCbfSchedule = (name: string, timezone: string, samples: number): string[] => [
  ...['schedules', 'set', name, '--cron', '0 2 * * *', '--timezone', timezone],
  ...['--generator', 'cbf', '--samples', String(samples)],
];

const GUNPOINT = path.resolve(__dirname, '../libs/data/datasets/GunPoint');

describe('maskgen CLI against a real API server', () => {
  let server: ApiServer;
  let env: Record<string, string>;
  let dir: string;

  before(async () => {
    server = await startApiServer('cli', { TEAM_MAX_SAMPLES_PER_RUN: '100000' });
    env = { MASKGEN_API_URL: server.base, MASKGEN_API_KEY: server.key };
    dir = await mkdtemp(path.join(os.tmpdir(), 'maskgen-cli-'));
  });

  after(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('datasets: upload and builtin print a table, list --json is the API page', async () => {
    const uploaded = ok(
      await cli(
        [
          'datasets',
          'upload',
          '--name',
          'gp-upload',
          '--train',
          path.join(GUNPOINT, 'GunPoint_TRAIN.ts.txt'),
          '--test',
          path.join(GUNPOINT, 'GunPoint_TEST.ts.txt'),
        ],
        env,
      ),
    );
    assert.match(uploaded.stdout, /gp-upload/);
    assert.match(uploaded.stdout, /│ length\s+│ 150\s+│/);
    ok(await cli(['datasets', 'builtin', 'ItalyPowerDemand'], env));

    const listed = ok(await cli(['--json', 'datasets', 'list'], env));
    const page = JSON.parse(listed.stdout) as { total: number; items: { name: string }[] };
    assert.equal(page.total, 2);
    assert.deepEqual(page.items.map((d) => d.name).sort(), ['ItalyPowerDemand', 'gp-upload']);

    const table = ok(await cli(['datasets', 'list'], env));
    assert.match(table.stdout, /name/);
    assert.match(table.stdout, /ItalyPowerDemand/);

    const duplicate = await cli(['datasets', 'builtin', 'ItalyPowerDemand'], env);
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /^error: .*ItalyPowerDemand.*\(HTTP 409\)$/m);
  });

  test('runs create --wait --json finishes the run; show, list and export in all three formats', async () => {
    const created = ok(
      await cli([...createCbfRun(32, 120, 40), '--seed', '5', '--wait', '--interval', '100', '--json'], env),
    );
    const run = JSON.parse(created.stdout) as { id: string; status: string; samplesStored: number };
    assert.equal(run.status, 'succeeded');
    assert.equal(run.samplesStored, 120);

    const shown = ok(await cli(['runs', 'show', run.id], env));
    assert.match(shown.stdout, /status\s+│ succeeded/);
    assert.match(shown.stdout, /shards\s+│ 3 \/ 3 done/);
    const listed = ok(await cli(['runs', 'list', '--status', 'succeeded'], env));
    assert.ok(listed.stdout.includes(run.id));

    const csvFile = path.join(dir, 'samples.csv');
    const npyFile = path.join(dir, 'samples.npy');
    const [csv, npy, json] = await Promise.all([
      cli(['runs', 'export', run.id, '--format', 'csv', '-o', csvFile], env),
      cli(['runs', 'export', run.id, '--format', 'npy', '--output', npyFile], env),
      cli(['runs', 'export', run.id, '--format', 'json', '--offset', '10', '--limit', '25'], env),
    ]);
    ok(csv);
    assert.match(csv.stderr, /wrote 120 samples/);
    const lines = (await readFile(csvFile, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 121);
    ok(npy);
    const bytes = await readFile(npyFile);
    assert.equal(bytes.subarray(1, 6).toString('latin1'), 'NUMPY');
    assert.match(bytes.toString('latin1', 10, 120), /'shape': \(120, 32\)/);
    ok(json);
    const samples = JSON.parse(json.stdout) as { index: number; values: number[] }[];
    assert.equal(samples.length, 25);
    assert.equal(samples[0].index, 10);
    assert.equal(samples[0].values.length, 32);
  });

  test('failures exit non-zero with the server message; usage errors exit 2', async () => {
    const missing = randomUUID();
    // Independent invocations, run side by side to keep the file fast.
    const [notFound, badKey, flagWins, tooMany, invalid, noKey, notInteger, noSampler, unreachable] =
      await Promise.all([
        cli(['runs', 'show', missing], env),
        cli(['runs', 'list'], { ...env, MASKGEN_API_KEY: 'mgk_wrong' }),
        cli(['--api-key', server.key, 'runs', 'list', '--json'], { ...env, MASKGEN_API_KEY: 'mgk_wrong' }),
        cli(['runs', 'create', '--generator', 'cbf', '--samples', '200000'], env),
        cli(['runs', 'create', '--generator', 'cbf', '--length', '4', '--samples', '10'], env),
        cli(['runs', 'list'], { MASKGEN_API_URL: server.base }),
        cli(['runs', 'create', '--generator', 'cbf', '--samples', 'many'], env),
        cli(['runs', 'create', '--samples', '10'], env),
        cli(['runs', 'list', '--api-url', 'http://127.0.0.1:9'], env),
      ]);
    assert.equal(notFound.code, 1);
    assert.equal(notFound.stderr.trim(), `error: Run ${missing} not found (HTTP 404)`);
    assert.equal(notFound.stdout, '');

    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /Unknown or revoked API key \(HTTP 401\)/);
    assert.ok(JSON.parse(ok(flagWins).stdout));

    assert.equal(tooMany.code, 1);
    assert.match(tooMany.stderr, /numSamples must be at most 100000/);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /sampler\.length must not be less than 8 \(HTTP 400\)/);

    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /An API key is required/);
    assert.equal(notInteger.code, 2);
    assert.match(notInteger.stderr, /--samples must be an integer/);
    assert.equal(noSampler.code, 2);
    assert.match(noSampler.stderr, /A sampler is required/);

    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /Cannot reach the API at http:\/\/127\.0\.0\.1:9/);
  });

  test('a cancelled run makes --wait fail; cancelling it again is a 409 with the reason', async () => {
    const created = ok(
      await cli(
        ['--json', 'runs', 'create', '--generator', 'cbf', '--samples', '50000', '--shard-size', '100'],
        env,
      ),
    );
    const { id } = JSON.parse(created.stdout) as { id: string };
    const [waited, waitedJson] = await Promise.all([
      cli(['runs', 'show', id, '--wait', '--interval', '100'], env),
      cli(['--json', 'runs', 'show', id, '--wait', '--interval', '100'], env),
      cli(['runs', 'cancel', id], env).then(ok),
    ]);
    assert.equal(waited.code, 1, waited.stdout + waited.stderr);
    assert.match(waited.stderr, new RegExp(`error: run ${id} was cancelled`));
    // With --json too: the run is printed, and the exit code still says it did not succeed.
    assert.equal(waitedJson.code, 1, waitedJson.stdout + waitedJson.stderr);
    assert.equal((JSON.parse(waitedJson.stdout) as { status: string }).status, 'cancelled');
    assert.match(waitedJson.stderr, new RegExp(`error: run ${id} was cancelled`));
    const again = await cli(['runs', 'cancel', id], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /only queued or running runs can be cancelled \(HTTP 409\)/);
  });

  test('--wait on a one-shard run moves inside the shard and shows elapsed time and an ETA (issue 20 item 8)', async () => {
    // One shard of 30,000 series, stored in one transaction of several statements: the run used to sit at 0 %
    // (0/1 shards, nothing stored) until that transaction committed. Its progress now moves while it is written.
    const waited = ok(await cli([...createCbfRun(256, 30000, 30000), '--wait', '--interval', '50'], env));
    // Not a terminal: one stderr line per change, `run <id>: <stored>/<total> samples <p>% | shards … | …`.
    const lines = waited.stderr.trim().split('\n');
    const midway = lines.filter((line) => {
      const match =
        /: (\d+)\/30000 samples (\d+)% \| stored 0 \| shards 0\/1 \| elapsed [\d.]+ m?s \| ETA [\d.]+ m?s \| running$/.exec(
          line,
        );
      return match !== null && Number(match[1]) > 0 && Number(match[2]) > 0 && Number(match[2]) < 100;
    });
    assert.ok(midway.length > 0, `no line shows progress inside the shard:\n${waited.stderr}`);
    assert.match(
      lines.at(-1) ?? '',
      /: 30000\/30000 samples 100% \| stored 30000 \| shards 1\/1 \| elapsed [\d.]+ m?s \| succeeded$/,
    );
  });

  test('schedules: set, list, delete; deleting twice is a 404', async () => {
    ok(await cli(setCbfSchedule('nightly', 'Europe/Oslo', 100), env));
    const listed = JSON.parse(ok(await cli(['schedules', 'list', '--json'], env)).stdout) as {
      items: { name: string; cron: string; nextRunAt: string }[];
    };
    assert.deepEqual(
      listed.items.map((s) => [s.name, s.cron]),
      [['nightly', '0 2 * * *']],
    );
    const badZone = await cli(setCbfSchedule('x', 'Mars/Olympus', 1), env);
    assert.equal(badZone.code, 1);
    assert.match(badZone.stderr, /Unknown time zone "Mars\/Olympus"/);
    ok(await cli(['schedules', 'delete', 'nightly'], env));
    const again = await cli(['schedules', 'delete', 'nightly'], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Schedule nightly not found \(HTTP 404\)/);
  });
});
