import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initTensorBackend } from '@maskgen/tensor';
import {
  PIPELINE_PROFILES,
  type PipelineProfile,
  type PreparedDataset,
  loadDatasetByName,
  prepareDataset,
} from '@maskgen/pipeline';
import {
  type ReportSummary,
  collectResults,
  readPublished,
  renderJson,
  renderMarkdown,
  verdict,
} from '../scripts/report/markdown';
import { computeTrend, median, renderTrend, signTest } from '../scripts/report/trend';
import {
  type DatasetResult,
  RESULT_VERSION,
  conditionalClasses,
  ensureJudge,
  ensurePipeline,
  proportionalCounts,
  resultPath,
  runDataset,
  runDir,
} from '../scripts/report/run';
import { tsEntryArgs } from './support/ts-entry';

const ROOT = path.resolve(__dirname, '..');

/** Runs `scripts/<script>.ts` with these arguments (synchronously, in the repository root), as `npm run` does. */
const runScript = (script: string, ...args: string[]) =>
  spawnSync(process.execPath, tsEntryArgs(`scripts/${script}.ts`, ...args), {
    cwd: ROOT,
    encoding: 'utf8',
  });

const method = (fid: number, critic: number, cas?: number, tv = 0.1) => ({
  fid,
  meanTerm: fid * 0.4,
  covarianceTerm: fid * 0.6,
  inceptionScore: 1.5,
  inceptionScoreStd: 0.1,
  rocketFid: fid * 10,
  classHistogram: [0.5 + tv, 0.5 - tv],
  totalVariation: tv,
  criticDistance: critic,
  worseShare: 0.25,
  ...(cas === undefined ? {} : { cas }),
  count: 100,
  tStar: [4, 6],
  generateSeconds: 3,
  priorPasses: { lf: 1, hf: 1 },
  perSeed: [{ seed: 1, fid, meanTerm: fid * 0.4, covarianceTerm: fid * 0.6 }],
});
/** naive − ESS with a CI of ±0.5 around the difference. */
const diff = (naive: number, ess: number) => ({
  difference: naive - ess,
  low: naive - ess - 0.5,
  high: naive - ess + 0.5,
  level: 0.95,
  replicates: 200,
  pairs: 100,
});
const stage = { metrics: { seconds: 1, testAccuracy: 0.9, testMse: 0.01, loss: 2 }, reused: false };
/** A finished report result with the given naive / ESS-R FCN FIDs (D = R + 0.1; conditional ESS = R + 1). */
const make = (dataset: string, naiveFid: number, essFid: number, seed = 1): DatasetResult => ({
  version: RESULT_VERSION,
  dataset,
  profile: 'cpu',
  seed,
  samplingSeeds: [1],
  samples: 100,
  command: 'npm run report -- --datasets GunPoint,CBF',
  engine: 'ort',
  finishedAt: '2026-11-29T11:00:00.000Z',
  seconds: 10,
  data: { train: 50, test: 150, length: 150, classes: 2, classNames: ['1', '2'] },
  judge: { profile: 'spec', filters: [128, 256, 128], epochs: 1000 },
  judgeTraining: { metrics: { seconds: 30, testAccuracy: 0.99 }, reused: false },
  casClassifier: { profile: 'cpu', filters: [32, 64, 64], epochs: 300 },
  reference: {
    fid: 0.5,
    meanTerm: 0.1,
    covarianceTerm: 0.4,
    inceptionScore: 1.9,
    classHistogram: [0.5, 0.5],
  },
  stages: { stage1: stage, prior: stage, critic: stage, classifier: stage },
  results: {
    unconditional: {
      methods: { naive: method(naiveFid, 5), R: method(essFid, 3), D: method(essFid + 0.1, 3) },
      naiveMinusEss: { R: diff(naiveFid, essFid), D: diff(naiveFid, essFid + 0.1) },
    },
    conditional: {
      methods: {
        naive: method(naiveFid, 5, 0.8),
        R: method(essFid + 1, 3, 0.85),
        D: method(essFid + 1.1, 3, 0.85),
      },
      naiveMinusEss: { R: diff(naiveFid, essFid + 1), D: diff(naiveFid, essFid + 1.1) },
    },
  },
});

let data: PreparedDataset;

before(async () => {
  await initTensorBackend('wasm');
  data = prepareDataset(loadDatasetByName('ItalyPowerDemand'));
});

describe('npm run report', () => {
  test('resumes: a second run loads every stage instead of retraining; bad checkpoints are retrained', async () => {
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'report-'));
    const options = { profile: 'tiny', seed: 2, workDir } as const;
    const first = await ensurePipeline(data, options);
    for (const record of Object.values(first.stages)) assert.equal(record.reused, false);
    const dir = runDir(workDir, data.name, 'tiny', 2);
    const mtimes = ['stage1', 'prior', 'critic', 'classifier'].map(
      (s) => statSync(path.join(dir, `${s}.ckpt`)).mtimeMs,
    );
    const tensors = tf.memory().numTensors;
    const second = await ensurePipeline(data, options);
    assert.equal(tf.memory().numTensors, tensors);
    for (const [stage, record] of Object.entries(second.stages)) {
      assert.equal(record.reused, true, `${stage} reused`);
      assert.ok(Number.isFinite(record.metrics.seconds), `${stage} keeps its training time`);
    }
    assert.deepEqual(
      ['stage1', 'prior', 'critic', 'classifier'].map((s) => statSync(path.join(dir, `${s}.ckpt`)).mtimeMs),
      mtimes,
    );
    assert.ok(Buffer.from(second.checkpoints.prior).equals(Buffer.from(first.checkpoints.prior)));

    // A flipped byte fails the checkpoint's hash; a checkpoint of another seed does not belong here.
    const priorFile = path.join(dir, 'prior.ckpt');
    const corrupt = Buffer.from(readFileSync(priorFile));
    corrupt[corrupt.length - 100] ^= 0xff;
    writeFileSync(priorFile, corrupt);
    const other = await ensurePipeline(data, { ...options, seed: 3 });
    writeFileSync(path.join(dir, 'critic.ckpt'), other.checkpoints.critic);
    const third = await ensurePipeline(data, options);
    assert.equal(third.stages.stage1.reused, true);
    assert.equal(third.stages.prior.reused, false);
    assert.equal(third.stages.critic.reused, false);
    assert.ok(
      Buffer.from(third.checkpoints.prior).equals(Buffer.from(first.checkpoints.prior)),
      'same seed, same bytes',
    );

    // Naive, ESS-R and ESS-D per sampling seed, pooled; a finished dataset is read back, not recomputed.
    const run = { ...options, samples: 10, samplingSeeds: [1, 2], command: 'test', judge: 'tiny' } as const;
    const result = await runDataset(data, run);
    // The judge is its own FCN of the named profile, not the pipeline's (TINY's is narrower); CAS keeps the latter.
    assert.deepEqual(result.judge, { profile: 'tiny', filters: [8, 16, 16], epochs: 60 });
    assert.deepEqual(result.casClassifier.filters, [...PIPELINE_PROFILES.tiny.classifier.filters]);
    assert.equal(result.judgeTraining.reused, false);
    assert.ok(result.judgeTraining.metrics.testAccuracy > 0.5, 'the judge learned the real classes');
    const judgeFile = path.join(dir, 'judge-tiny.fcn');
    const judgeBytes = readFileSync(judgeFile);
    const reloaded = await ensureJudge(data, 'tiny', options);
    assert.equal(reloaded.record.reused, true);
    assert.deepEqual(reloaded.record.metrics, result.judgeTraining.metrics);
    reloaded.model.dispose();
    // A corrupt judge file is retrained with the same seed, to the same bytes.
    writeFileSync(judgeFile, judgeBytes.subarray(0, 200));
    const retrained = await ensureJudge(data, 'tiny', options);
    assert.equal(retrained.record.reused, false);
    retrained.model.dispose();
    assert.ok(readFileSync(judgeFile).equals(judgeBytes));
    for (const cond of ['unconditional', 'conditional'] as const) {
      const c = result.results[cond];
      for (const name of ['naive', 'R', 'D'] as const) {
        const m = c.methods[name];
        assert.equal(m.count, 20, `${cond} ${name} pools both seeds`);
        assert.deepEqual(
          m.perSeed.map((p) => p.seed),
          [1, 2],
        );
        assert.ok(
          Math.abs(m.meanTerm + m.covarianceTerm - m.fid) < 1e-9 * Math.max(1, m.fid),
          'FID = mean + cov',
        );
        assert.ok(Math.abs(m.classHistogram.reduce((x, y) => x + y, 0) - 1) < 1e-9);
        // Pooling two seeds is not the same as either seed alone.
        assert.ok(m.perSeed.every((p) => Number.isFinite(p.fid) && p.fid !== m.fid));
        if (name === 'naive') {
          assert.equal(m.tStar, null);
          assert.equal(m.worseShare, null);
        } else {
          assert.equal(m.tStar!.length, 2, 'one t* per 256-sample batch and seed');
          assert.ok(m.worseShare! >= 0 && m.worseShare! <= 1);
        }
      }
      for (const name of ['R', 'D'] as const) {
        const d = c.naiveMinusEss[name];
        assert.ok(Math.abs(d.difference - (c.methods.naive.fid - c.methods[name].fid)) < 1e-9);
        assert.ok(d.low <= d.high && d.pairs === 20);
      }
    }
    assert.ok(Number.isFinite(result.results.conditional.methods.naive.cas));
    assert.equal(result.results.unconditional.methods.naive.cas, undefined);
    assert.deepEqual(result.reference.classHistogram.length, data.classNames.length);
    const again = await runDataset(data, { ...run, command: 'other' });
    assert.equal(again.finishedAt, result.finishedAt);
    const settings = { profile: 'tiny', seed: 2, samples: 10, samplingSeeds: [1, 2], judge: 'tiny' } as const;
    assert.deepEqual(
      collectResults(workDir, settings).map((r) => r.dataset),
      ['ItalyPowerDemand'],
    );
    assert.deepEqual(collectResults(workDir, { ...settings, samples: 7 }), []);
    assert.deepEqual(collectResults(workDir, { ...settings, samplingSeeds: [1] }), []);
    assert.deepEqual(collectResults(workDir, { ...settings, judge: 'spec' }), [], 'another judge');
    assert.ok(statSync(resultPath(dir, 10, [1, 2], 'tiny')).isFile());

    // A published <out>.json counts for the same settings only.
    const published = path.join(workDir, 'published.json');
    writeFileSync(published, renderJson([result]));
    assert.deepEqual(
      readPublished(published, settings).map((r) => r.finishedAt),
      [result.finishedAt],
    );
    assert.deepEqual(readPublished(published, { ...settings, samplingSeeds: [1, 2, 3] }), []);
    assert.deepEqual(readPublished(published, { ...settings, judge: 'cpu' }), [], 'judged by another FCN');
    assert.deepEqual(readPublished(path.join(workDir, 'missing.json'), settings), []);
  });

  test('a cached stage trained under other settings of its profile is retrained, with what depends on it', async () => {
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'report-config-'));
    const options = { profile: 'tiny', seed: 2, workDir } as const;
    await ensurePipeline(data, options);
    // What a change to the profile in the code (e.g. the prior's masking rule) does to a work dir trained before it.
    const profile = PIPELINE_PROFILES.tiny as { prior: PipelineProfile['prior'] };
    const original = profile.prior;
    profile.prior = { ...original, network: { ...original.network, classDropout: 0.5 } };
    try {
      const changed = await ensurePipeline(data, options);
      assert.equal(changed.stages.stage1.reused, true);
      assert.equal(changed.stages.classifier.reused, true);
      assert.equal(changed.stages.prior.reused, false, 'prior trained under other settings');
      assert.equal(changed.stages.critic.reused, false, 'critic calibrated on the old prior');
    } finally {
      profile.prior = original;
    }
    rmSync(workDir, { recursive: true, force: true });
  });

  test('conditional classes follow the training proportions', () => {
    assert.deepEqual(proportionalCounts(Int32Array.from([0, 0, 0, 1]), 2, 10), [8, 2]);
    assert.deepEqual(proportionalCounts(Int32Array.from([0, 1, 2]), 3, 4), [2, 1, 1]);
    const classes = conditionalClasses(data, 9);
    assert.equal(classes.length, 9);
    assert.deepEqual(Array.from(classes.slice(0, 2)).sort(), [0, 1]);
  });

  test('markdown and JSON: FID terms, CIs, verdicts only where the CI excludes 0, class shares, losses', () => {
    const results = [make('CBF', 2, 1), make('GunPoint', 1, 1.25)];
    const md = renderMarkdown(results, 'A note.');
    assert.match(md, /```sh\n# CBF, GunPoint\nnpm run report -- --datasets GunPoint,CBF\n```/);
    const alone = { ...make('ECG200', 1, 1), command: 'npm run report -- --datasets ECG200,Beef' };
    assert.match(
      renderMarkdown([...results, alone]),
      /# CBF, GunPoint\nnpm run report -- --datasets GunPoint,CBF\n# ECG200\nnpm run report -- --datasets ECG200,Beef\n/,
      'each command says which datasets it produced',
    );
    assert.match(
      md,
      /\| CBF \| 100 \| 0\.50 \(0\.10 \/ 0\.40\) \| 2\.00 \(0\.80 \/ 1\.20\) \| 1\.00 \(0\.40 \/ 0\.60\) \| 1\.00 \[0\.50, 1\.50\] \| 1\.10 \(0\.44 \/ 0\.66\) \| 0\.90 \[0\.40, 1\.40\] \| 2\.3 ± 0\.4 \|/,
    );
    assert.match(
      md,
      /ESS-R better on 1 and worse on 0 unconditionally, better on 0 and worse on 1 class-conditionally/,
    );
    assert.match(md, /\| CBF \| unconditional \| 0\.50\/0\.50 \| 0\.60\/0\.40 \(0\.100\) \|/);
    assert.match(md, /\| 0\.800 \/ 0\.850 \/ 0\.850 \|/);
    assert.match(
      md,
      /\*\*GunPoint, unconditional, ESS-R\*\*: FID 1\.00 → 1\.25 \(within noise: -0\.25 \[-0\.75, 0\.25\]\)/,
    );
    assert.match(md, /\*\*GunPoint, conditional, ESS-R\*\*: FID 1\.00 → 2\.25 \(worse, the CI excludes 0/);
    assert.doesNotMatch(md, /\*\*CBF, unconditional/);
    assert.match(md, /## Notes\n\nA note\./);
    const json = JSON.parse(renderJson(results)) as { summary: ReportSummary };
    assert.equal(json.summary.essBetter.unconditional.R, 1);
    assert.equal(json.summary.essWorse.conditional.D, 1);
    assert.equal(json.summary.naiveClassBalanced, 2);
    assert.equal(verdict(diff(1, 0.2)), 'ESS better');
    assert.equal(verdict(diff(1, 1.6)), 'ESS worse');
    assert.equal(verdict(diff(1, 1)), 'no clear difference');
    assert.match(renderMarkdown([]), /No dataset finished yet/);
  });

  test('usage errors exit with code 2 and a message', () => {
    for (const args of [
      ['--datasets', 'NoSuchSet'],
      ['--datasets', 'CBF', '--samples', '1'],
      ['--datasets', 'CBF', '--judge', 'huge'],
      ['--datasets', 'CBF', '--judge', 'toString'],
      ['--profile', 'x'],
    ]) {
      const run = runScript('report', ...args);
      assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^error: /);
    }
  });
});

describe('npm run class-balance', () => {
  test('bad sampling flags exit with code 2 and a message before any training', () => {
    for (const [flag, value, message] of [
      ['--method', 'R', /--method must be one of naive, ess, got 'R'/],
      ['--guidance', 'abc', /--guidance must be a number ≥ 0, got 'abc'/],
      ['--guidance', '-1', /--guidance must be a number ≥ 0, got '-1'/],
      ['--choice-temperatures', '4,x', /--choice-temperatures must be a number ≥ 0, got 'x'/],
    ] as const) {
      const workDir = mkdtempSync(path.join(os.tmpdir(), 'class-balance-'));
      // flag=value: parseArgs would take a bare '-1' for an option.
      const run = runScript(
        'class-balance',
        ...['--dataset', 'ItalyPowerDemand', '--profile', 'tiny', '--work-dir', workDir, `${flag}=${value}`],
      );
      assert.equal(run.status, 2, `${flag} ${value}: ${run.stderr}`);
      assert.match(run.stderr, message);
      // Refused before the pipeline is trained: nothing was written.
      assert.deepEqual(readdirSync(workDir), []);
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});

/** Runs `npm run ess-variants` with these arguments (synchronously, in the repository root). */
const essVariants = (...args: string[]) => runScript('ess-variants', ...args);

describe('npm run ess-variants', () => {
  test('compares naive with ESS D, R and per-sample t* from the same naive tokens; usage errors exit 2', () => {
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'ess-variants-'));
    const out = path.join(workDir, 'variants.json');
    const run = essVariants(
      ...['--dataset', 'ItalyPowerDemand', '--profile', 'tiny', '--seed', '2', '--samples', '10'],
      ...['--sampling-seeds', '4,5', '--work-dir', workDir, '--out', out],
    );
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      rows: {
        variant: string;
        samplingSeed: number;
        fid: number;
        criticDistance: number;
        nonZeroDistances: { share: number; median: number; p90: number };
        tStar: number[];
      }[];
    };
    assert.deepEqual(
      report.rows.map((r) => `${r.samplingSeed} ${r.variant}`),
      [4, 5].flatMap((seed) =>
        ['naive', 'ESS D (keepVisible)', 'ESS R (keepVisible = false)', 'ESS D, per-sample t*'].map(
          (variant) => `${seed} ${variant}`,
        ),
      ),
    );
    for (const row of report.rows) {
      assert.ok(Number.isFinite(row.fid), `${row.variant}: finite FID`);
      // Naive tokens are scored too; the spread of the non-zero distances goes with the mean.
      assert.ok(Number.isFinite(row.criticDistance) && row.criticDistance >= 0, row.variant);
      const spread = row.nonZeroDistances;
      assert.ok(spread.share >= 0 && spread.share <= 1 && spread.median <= spread.p90, row.variant);
      assert.equal(
        spread.share === 0,
        row.criticDistance === 0,
        `${row.variant}: zero mean iff no non-zero token`,
      );
      if (spread.share > 0) assert.ok(spread.median > 0, row.variant);
      if (row.variant === 'naive') assert.deepEqual(row.tStar, []);
      else assert.ok(row.tStar.length >= 1 && row.tStar.every((t) => t >= 1 && t <= 9), row.variant);
    }
    // Shared t* (D, R) is one value for the whole request; the markdown table lists every row.
    for (const row of report.rows.filter((r) => !r.variant.includes('per-sample'))) {
      assert.ok(row.tStar.length <= 1, row.variant);
    }
    assert.equal(run.stdout.split('\n').filter((line) => /^\| [45] \| /.test(line)).length, 8);
    // The pipeline went into the report's layout, so a second call reuses it.
    assert.ok(statSync(path.join(runDir(workDir, 'ItalyPowerDemand', 'tiny', 2), 'prior.ckpt')).isFile());

    const bad = essVariants('--dataset', 'CBF', '--sampling-seeds', '1,x');
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /^error: --sampling-seeds must be an integer/);

    // A chosen subset plus critic-temperature rows, on the pipeline trained above.
    const subset = essVariants(
      ...['--dataset', 'ItalyPowerDemand', '--profile', 'tiny', '--seed', '2', '--samples', '10'],
      ...['--sampling-seeds', '4', '--variants', 'D', '--critic-temperatures', '1,1e6'],
      ...['--work-dir', workDir, '--out', out],
    );
    assert.equal(subset.status, 0, subset.stderr);
    const temperatureRows = (
      JSON.parse(readFileSync(out, 'utf8')) as {
        rows: { variant: string; fid: number; criticDistance: number }[];
      }
    ).rows;
    assert.deepEqual(
      temperatureRows.map((r) => r.variant),
      ['ESS D (keepVisible)', 'ESS D, critic temperature 1', 'ESS D, critic temperature 1000000'],
    );
    // Temperature 1 is the spec's critic, so it reproduces D exactly (same seed, same naive tokens) ...
    assert.equal(temperatureRows[1].fid, temperatureRows[0].fid);
    assert.equal(temperatureRows[1].criticDistance, temperatureRows[0].criticDistance);
    // ... and D of seed 4 is the same as in the full run above.
    assert.equal(
      temperatureRows[0].fid,
      report.rows.find((r) => r.samplingSeed === 4 && r.variant === 'ESS D (keepVisible)')!.fid,
    );

    for (const [flag, value, message] of [
      ['--variants', 'D,Q', /^error: --variants: unknown variant 'Q'/],
      ['--variants', 'toString', /^error: --variants: unknown variant 'toString'/],
      ['--critic-temperatures', '4,0', /^error: --critic-temperatures: '0' is not a positive number/],
    ] as const) {
      const refused = essVariants('--dataset', 'CBF', flag, value);
      assert.equal(refused.status, 2, refused.stderr);
      assert.match(refused.stderr, message);
    }
  });
});

describe('npm run ess-trend', () => {
  test('counts pairs where ESS lowers FID, the median change, a sign test and the 5 × 3 coverage', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(signTest(0, 5), 2 / 32);
    assert.equal(signTest(5, 10), 1);
    assert.ok(Math.abs(signTest(2, 10) - 112 / 1024) < 1e-12);

    // Unconditional changes: -50 %, +10 %, +20 %, -25 %, +100 % → 2 of 5 better, median +10 %.
    const results = [
      make('A', 2, 1, 1),
      make('A', 1, 1.1, 2),
      make('B', 1, 1.2, 1),
      make('B', 4, 3, 2),
      make('B', 1, 2, 3),
    ];
    const trend = computeTrend(results);
    const [uncond, cond] = trend.summaries;
    assert.equal(uncond.conditioning, 'unconditional');
    assert.equal(uncond.pairs, 5);
    assert.equal(uncond.essBetter, 2);
    assert.ok(Math.abs(uncond.medianChange - 0.1) < 1e-12);
    assert.equal(uncond.majorityImproves, false);
    assert.equal(uncond.medianImproves, false);
    // Conditional ESS FID is essFid + 1: worse everywhere.
    assert.equal(cond.essBetter, 0);
    assert.deepEqual(trend.seeds, { A: [1, 2], B: [1, 2, 3] });
    assert.deepEqual(trend.covered, ['B']);
    assert.deepEqual(
      trend.pairs.unconditional.map((p) => `${p.dataset}${p.seed}`),
      ['A1', 'A2', 'B1', 'B2', 'B3'],
    );

    const md = renderTrend(trend);
    assert.match(md, /\| A \| 1 \| 100 \| 2\.00 \| \*\*1\.00\*\* \| -50 % \|/);
    assert.match(md, /\| unconditional \| 5 \| 2 \| \+10 % \| 1\.00 \| no \| no \| 0 \|/);
    assert.match(md, /Coverage: 2 datasets; 1 with at least 3 training seeds/);
    // Per dataset: A's changes -50 %, +10 % (median -20 %); B's +20 %, -25 %, +100 % (median +20 %).
    assert.deepEqual(
      uncond.datasets.map((d) => [d.dataset, d.seeds, d.essBetter, Math.round(d.medianChange * 100)]),
      [
        ['A', 2, 1, -20],
        ['B', 3, 1, 20],
      ],
    );
    assert.equal(uncond.datasetsImproved, 1);
    assert.equal(cond.datasetsImproved, 0);
    assert.match(md, /\| A \| -20 % \(1 of 2\) \| \+55 % \(0 of 2\) \|/);
    assert.match(md, /\| datasets improved \| 1 of 2 \| 0 of 2 \|/);
    assert.throws(() => computeTrend([make('A', 1, 1, 1), make('A', 2, 2, 1)]), /A seed 1 appears twice/);
  });

  test('reads report JSON files; bad or duplicate inputs exit 2', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ess-trend-'));
    const first = path.join(dir, 'a.json');
    const second = path.join(dir, 'b.json');
    writeFileSync(first, renderJson([make('CBF', 2, 1.5, 1), make('GunPoint', 1, 1.25, 1)]));
    writeFileSync(second, renderJson([make('CBF', 2, 3, 2)]));
    const out = path.join(dir, 'trend.md');
    const run = (...args: string[]) => runScript('ess-trend', ...args);
    const ok = run('--results', `${first},${second}`, '--out', out);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(readFileSync(out, 'utf8'), ok.stdout);
    assert.match(ok.stdout, /\| unconditional \| 3 \| 1 \|/);
    assert.match(ok.stdout, /CBF \(1, 2\), GunPoint \(1\)/);

    writeFileSync(path.join(dir, 'not-report.json'), '{"rows": []}');
    for (const [args, message] of [
      [['--results', `${first},${first}`], /CBF seed 1 appears twice/],
      [['--results', path.join(dir, 'missing.json')], /cannot read .*missing\.json/],
      [['--results', path.join(dir, 'not-report.json')], /is not an npm run report JSON/],
      [[], /--results needs report JSON files/],
    ] as const) {
      const refused = run(...args);
      assert.equal(refused.status, 2, `${args.join(' ')}: ${refused.stderr}`);
      assert.match(refused.stderr, message);
    }
  });
});
