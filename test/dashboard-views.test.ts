/**
 * Honest views (issue 20 item 6) in a real browser (Debian's Chromium through playwright-core): what the run,
 * compare and model pages call each number. The model, runs, samples, critic scores and metrics are stored
 * through the repositories, so no training is needed and every figure on the page is known here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  DatasetRepository,
  MetricRepository,
  ModelEntity,
  ModelRepository,
  RunFeaturesRepository,
  RunRepository,
  SampleRepository,
  type NewScoredSample,
} from '@maskgen/persistence';
import { DataSource } from 'typeorm';
import { formatNumber } from '../apps/dashboard/src/format';
import { modelLossCharts, startDashboard, withoutChromium, type DashboardSession } from './support/browser';
import type { RunComparison } from '@maskgen/client';
import type { SamplerMethod } from '@maskgen/contracts';

const LENGTH = 24; // ItalyPowerDemand
const GRID = { rows: 1, columns: 8 };

/** Softmax shares over the grid (they sum to 1, so their mean is always 1/8). */
function shares(seed: number): Float32Array {
  const raw = Array.from({ length: GRID.columns }, (_, i) => Math.exp(-((i * 7 + seed) % 5)));
  const sum = raw.reduce((s, v) => s + v, 0);
  return Float32Array.from(raw.map((v) => v / sum));
}

function series(index: number): Float32Array {
  return Float32Array.from({ length: LENGTH }, (_, t) => Math.sin((t + index) / 3));
}

/** What the evaluator stores with these metrics: each one's real-data reference (issue 20 item 10). */
const METRIC_DETAILS: Record<string, Record<string, unknown>> = {
  fid: {
    meanTerm: 1.25,
    covarianceTerm: 2.25,
    reference: { trainVsTest: { fid: 0.8125, meanTerm: 0.0625, covarianceTerm: 0.75, train: 67 } },
  },
  inception_score: { std: 0.1, reference: { realTest: 1.9375 } },
  class_tv: { classNames: ['1', '2'], predicted: { real: [516, 513], generated: [6, 4] } },
};

/** Deterministic standard-normal-ish features [rows, dim] shifted by `shift` (a stand-in judge's features). */
function features(rows: number, dim: number, shift: number, seed: number): Buffer {
  const uniform = (i: number) => {
    const x = Math.sin(i * 12.9898 + seed * 78.233) * 43758.5453;
    return Math.min(1 - 1e-9, Math.max(1e-9, x - Math.floor(x)));
  };
  const values = Float32Array.from(
    { length: rows * dim },
    (_, i) => shift + Math.sqrt(-2 * Math.log(uniform(2 * i))) * Math.cos(2 * Math.PI * uniform(2 * i + 1)),
  );
  return Buffer.from(values.buffer);
}

describe('honest views: run, compare and model pages', { skip: withoutChromium }, () => {
  let session: DashboardSession;
  let page: Page;
  let modelId = '';
  const runIds = { naive: '', ess: '', unconditional: '', naive2: '', ess2: '' };
  const errors: string[] = [];

  /** A succeeded model run of `count` samples stored as a worker stores them, with its metrics. */
  async function seedRun(
    teamId: string,
    method: SamplerMethod,
    classes: 'balanced' | 'unconditional',
    metrics: Record<string, number>,
  ): Promise<string> {
    const app = session.server.app;
    const runs = app.get(RunRepository);
    const count = 10;
    const run = await runs.createWithShards(
      {
        teamId,
        modelId,
        kind: 'generate',
        params: { sampler: { kind: 'model', modelId, method, classes }, numSamples: count, shardSize: count },
        seed: 7,
      },
      [{ shardIndex: 0, sampleOffset: 0, sampleCount: count, seed: 7 }],
    );
    const samples: NewScoredSample[] = Array.from({ length: count }, (_, index) => ({
      runId: run.id,
      shardIndex: 0,
      sampleIndex: index,
      classIndex: classes === 'unconditional' ? null : index % 2,
      values: series(index),
      critic: {
        // ESS made samples 0, 3, 6 and 9 worse (0.4 before, 0.5+ after), the others better (0.6 before).
        summary:
          method === 'ess'
            ? {
                mean: 0.5 + index / 100,
                max: 1 + index / 100,
                meanBeforeEss: index % 3 === 0 ? 0.4 : 0.6,
                worseUnderEss: index % 3 === 0,
              }
            : { mean: 0.5 + index / 100, max: 1 + index / 100, meanBeforeEss: null, worseUnderEss: null },
        scores: {
          lf:
            method === 'ess'
              ? {
                  ...GRID,
                  before: shares(index),
                  after: shares(index + 1),
                  remasked: Uint8Array.from([1, 0, 0, 1, 0, 0, 0, 0]),
                }
              : { ...GRID, before: shares(index), after: null, remasked: null },
          hf: null,
        },
      },
    }));
    await app.get(SampleRepository).insertScored(samples);
    await runs.finishShard(run.id, 0, 'succeeded');
    await runs.finish(run.id, 'succeeded');
    await app.get(MetricRepository).record(
      run.id,
      Object.entries(metrics).map(([name, value]) => ({ name, value, details: METRIC_DETAILS[name] })),
    );
    return run.id;
  }

  before(async () => {
    session = await startDashboard('dashboard-views');
    page = session.page;
    page.on('pageerror', (error) => errors.push(error.message));
    const app = session.server.app;
    const datasetId = (
      await session.api<{ id: string }>('POST', '/datasets/builtin', { dataset: 'ItalyPowerDemand' })
    ).id;
    const teamId = (await app.get(DatasetRepository).findById(datasetId))!.teamId;
    const model = await app
      .get(ModelRepository)
      .create({ teamId, datasetId, name: 'seeded', profile: 'cpu', seed: 0 });
    modelId = model.id;
    const history = (start: number) => [1, 2, 3, 4].map((step) => ({ step, loss: start / step }));
    const stage = (start: number) => ({
      status: 'done',
      step: 4,
      totalSteps: 4,
      loss: start / 4,
      history: history(start),
    });
    await app
      .get(DataSource)
      .getRepository(ModelEntity)
      .update(model.id, {
        status: 'ready',
        progress: {
          stage: 'classifier',
          step: 4,
          totalSteps: 4,
          loss: 0.1,
          stages: {
            stage1: stage(80),
            // A history with a zero cannot go on a log axis: drawn linear.
            prior: { ...stage(6), history: [...history(6), { step: 5, loss: 0 }] },
            critic: stage(2),
            classifier: stage(0.8),
          },
        },
        metrics: {
          testMse: 0.0123456,
          classifierTestAccuracy: 0.9,
          stage1Seconds: 600.25,
          priorSeconds: 240.5,
          criticSeconds: 10,
          classifierSeconds: 29.25,
          criticRealDistance: 1.23456789,
          criticFalsePositiveRate: 13 / 45,
          stage1Steps: 4,
        },
      });
    const quality = { fid: 4.5, inception_score: 1.8, rocket_fid: 120.25, cas: 0.7, critic_distance: 0.55 };
    const counted = { evaluated_samples: 10, class_tv: 0.2 };
    runIds.naive = await seedRun(teamId, 'naive', 'balanced', { ...quality, ...counted });
    runIds.ess = await seedRun(teamId, 'ess', 'balanced', {
      ...counted,
      fid: 3.5,
      inception_score: 1.9,
      rocket_fid: 130.5,
      cas: 0.7,
      critic_distance: 0.45,
      class_tv: 0.1,
      ess_t_star: 3,
    });
    runIds.unconditional = await seedRun(teamId, 'naive', 'unconditional', quality);
    // A second sampling seed of each sampler, and every naive/ESS run's evaluation features under the model's judge
    // (naive far from the real features, ESS close), for the compare page's pooled FID and its CI.
    runIds.naive2 = await seedRun(teamId, 'naive', 'balanced', quality);
    runIds.ess2 = await seedRun(teamId, 'ess', 'balanced', quality);
    const real = features(40, 4, 0, 1);
    const shifts: [string, number][] = [
      [runIds.naive, 1],
      [runIds.ess, 0.1],
      [runIds.naive2, 1],
      [runIds.ess2, 0.1],
    ];
    for (const [index, [runId, shift]] of shifts.entries()) {
      await app.get(RunFeaturesRepository).save({
        runId,
        judgeModelId: modelId,
        judge: { kind: 'fcn', profile: 'cpu' },
        dim: 4,
        generatedCount: 30,
        generated: features(30, 4, shift, 10 + index),
        realCount: 40,
        real,
      });
    }
    await session.signIn();
  });

  after(async () => {
    await session?.close();
  });

  test('run pages: one critic distance (no softmax mean), re-masked key only for ESS, real vs generated for unconditional runs', async () => {
    await page.goto(`${session.server.base}/#/runs/${runIds.ess}`);
    await page.locator('.critic-panel').waitFor();
    const sampleSelect = page.getByLabel('Sample', { exact: true });
    const options = await sampleSelect.locator('option').allTextContents();
    assert.equal(options.length, 10);
    // Before → after ESS, and a flag on the samples ESS made worse (issue 20 item 6).
    assert.ok(
      options.every((option) =>
        / · mean critic code distance 0\.[46]000 → 0\.\d{4}( · worse under ESS)?$/.test(option),
      ),
      options.join('\n'),
    );
    assert.deepEqual(
      options.flatMap((option, i) => (option.endsWith(' · worse under ESS') ? [i] : [])),
      [0, 3, 6, 9],
    );
    assert.ok(options.every((option) => !option.includes('critic mean')));
    assert.match(
      (await page.locator('.worse-summary').textContent()) ?? '',
      /^4 of the 10 samples on this page got worse under ESS/,
    );
    assert.equal(
      await page.locator('.critic-verdict').textContent(),
      '⚠ Worse under ESS: mean critic code distance 0.4000 before ESS, 0.5000 after (lower looks more real).',
    );
    await sampleSelect.selectOption('1');
    await page.locator('.critic-verdict[data-worse="false"]').waitFor();
    // The filter keeps only the flagged samples, in the plots and the critic list.
    await page.locator('#only-worse').check();
    await session.until(
      `document.querySelectorAll('#critic-sample option').length === 4 && document.querySelector('.sample-range').textContent.startsWith('4 samples ESS made worse')`,
    );
    assert.deepEqual(
      await page.evaluate<string[]>(
        `[...document.querySelectorAll('#critic-sample option')].map((o) => o.value)`,
      ),
      ['0', '3', '6', '9'],
    );
    await page.locator('#only-worse').uncheck();
    await session.until(`document.querySelectorAll('#critic-sample option').length === 10`);
    // The list re-renders the panel; its heatmaps come back once the selected sample's scores have loaded.
    await session.until(
      `document.querySelectorAll('.critic-panel figure[data-chart="heatmap"] p').length === 2`,
    );
    // The heatmaps' summaries give the range of the shares, never their mean (always 1/8 here).
    const summaries = await page.locator('.critic-panel figure[data-chart="heatmap"] p').allTextContents();
    assert.equal(summaries.length, 2);
    for (const summary of summaries) {
      assert.match(summary, /^1 by 8 tokens, critic score \(share of the grid\) from \d\.\d{3} to \d\.\d{3}/);
      assert.doesNotMatch(summary, /mean/);
    }
    assert.equal(await page.locator('.critic-panel .remasked-key').count(), 1);
    await page.getByText('2 of 8 tokens were re-masked').waitFor();
    // Each metric next to its real-data reference; CAS and critic distance from the model's own figures.
    await session.until(
      `[...document.querySelectorAll('.metric-reference')].some((td) => td.textContent.startsWith('judge'))`,
    );
    const references = await page.evaluate<string[][]>(
      `[...document.querySelectorAll('section[aria-labelledby="metrics-title"] tbody tr')].map((tr) =>
         [tr.children[0].textContent, tr.children[2].textContent])`,
    );
    assert.deepEqual(references, [
      ['cas', 'judge trained on real data 0.9000'],
      ['class_tv', 'real test classes 516 / 513 (TV 0); generated 6 / 4'],
      ['critic_distance', 'real test grids 1.2346'],
      ['ess_t_star', ''],
      ['evaluated_samples', ''],
      ['fid', 'real train vs test 0.8125 (mean 0.0625 + cov 0.7500); this run: mean 1.2500 + cov 2.2500'],
      ['inception_score', 'real test 1.9375'],
      ['rocket_fid', ''],
    ]);
    await session.screenshot('20-views-ess-run');

    await page.goto(`${session.server.base}/#/runs/${runIds.naive}`);
    await page.locator('.critic-panel').waitFor();
    await page.locator('.critic-panel .legend').waitFor();
    // The naive run's single LF heatmap, once its critic scores have loaded (the panel renders before them).
    await session.until(
      `document.querySelectorAll('.critic-panel figure[data-chart="heatmap"]').length === 1`,
    );
    assert.equal(await page.locator('.critic-panel .remasked-key').count(), 0, 'naive runs re-mask nothing');
    assert.equal(await page.locator('.critic-verdict').count(), 0, 'naive samples have no ESS verdict');
    assert.equal(await page.locator('.worse-summary').count(), 0);
    assert.equal(await page.locator('.critic-panel figure[data-chart="heatmap"]').count(), 1);

    // Unconditional: one plot, with the real series of every class (solid) and the samples (dashed).
    await page.goto(`${session.server.base}/#/runs/${runIds.unconditional}`);
    const charts = page.locator('section[aria-labelledby="samples-title"] figure[data-chart="line"]');
    await session.until(
      `document.querySelectorAll('section[aria-labelledby="samples-title"] figure[data-chart="line"] canvas').length === 1 &&
       Number(document.querySelector('section[aria-labelledby="samples-title"] figure[data-chart="line"]').dataset.series) === 16`,
    );
    assert.deepEqual(await charts.locator('figcaption').allTextContents(), [
      'unconditional (real: every class)',
    ]);
    assert.ok((await session.paintedPixels('section[aria-labelledby="samples-title"] canvas')) > 500);
    await session.screenshot('21-views-unconditional-run');
  });

  test('compare page: better direction per quality metric, best marked, bookkeeping as a plain table', async () => {
    await page.goto(`${session.server.base}/#/compare?ids=${runIds.naive},${runIds.ess}`);
    const quality = page.locator('table[data-table="quality"]');
    await quality.waitFor();
    // Each cell's text, with "*" where the page marks the best value.
    const rows = await page.evaluate<string[][]>(
      `[...document.querySelectorAll('table[data-table="quality"] tbody tr')].map((tr) =>
         [...tr.children].map((cell) => cell.textContent + (cell.classList.contains('best') ? '*' : '')))`,
    );
    assert.deepEqual(rows, [
      ['cas', '↑ higher', '0.7000*', '0.7000*'],
      ['class_tv', '↓ lower', '0.2000', '0.1000*'],
      ['critic_distance', '↓ lower', '0.5500', '0.4500*'],
      ['fid', '↓ lower', '4.5000', '3.5000*'],
      ['inception_score', '↑ higher', '1.8000', '1.9000*'],
      ['rocket_fid', '↓ lower', '120.3*', '130.5'],
    ]);
    // Bars only for the ranked metrics, titled with their direction.
    const groups = await page.locator('figure[data-chart="bars"] .bar-metric').allTextContents();
    assert.deepEqual(groups, [
      'cas (higher is better)',
      'class_tv (lower is better)',
      'critic_distance (lower is better)',
      'fid (lower is better)',
      'inception_score (higher is better)',
      'rocket_fid (lower is better)',
    ]);
    // Counts and diagnostics: a plain table, no direction, no bars.
    const bookkeeping = page.locator('table[data-table="bookkeeping"]');
    assert.deepEqual(await bookkeeping.locator('tbody th').allTextContents(), [
      'ess_t_star',
      'evaluated_samples',
    ]);
    assert.deepEqual(await bookkeeping.locator('thead th').count(), 3);
    assert.deepEqual(await bookkeeping.locator('tbody td').allTextContents(), ['–', '3', '10', '10']);
    assert.equal(await bookkeeping.locator('td.best').count(), 0);
    await session.screenshot('22-views-compare');
  });

  test('compare page: pooled FID per group and the FID difference with its 95 % CI, from the API', async () => {
    const rows = () =>
      page.evaluate<string[][]>(
        `[...document.querySelectorAll('table[data-table="groups"] tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent))`,
      );
    const differences = () =>
      page.evaluate<{ text: string; better: string }[]>(
        `[...document.querySelectorAll('.fid-differences li')].map((li) => ({ text: li.textContent, better: li.dataset.better }))`,
      );
    const expectPage = async (ids: string, runs: number) => {
      const api = await session.api<RunComparison>('GET', `/runs/compare?ids=${encodeURIComponent(ids)}`);
      await page.goto(`${session.server.base}/#/compare?ids=${encodeURIComponent(ids)}`);
      const groups = api.groups.map((g) => g!);
      // Until this comparison replaced the previous one on the page.
      await session.until(
        `document.querySelector('table[data-table="groups"] tbody td.num')?.textContent === '${groups[0].samples}'`,
      );
      assert.deepEqual(
        (await rows()).map((row) => [row[0], row[1].split(', ').length, ...row.slice(2)]),
        groups.map((g, i) => [
          ['A', 'B'][i],
          runs,
          String(g.samples),
          formatNumber(g.fid),
          formatNumber(g.meanTerm),
          formatNumber(g.covarianceTerm),
        ]),
      );
      const [c] = api.comparisons;
      // The ESS features sit much nearer the real ones: B (ESS) is better, the interval above 0.
      assert.equal(c.better, 'other');
      assert.ok(c.ci.low > 0);
      assert.deepEqual(await differences(), [
        {
          text:
            `FID A − FID B = ${formatNumber(c.difference)}, 95 % CI [${formatNumber(c.ci.low)}, ${formatNumber(c.ci.high)}] ` +
            `(${c.pairedSamples} paired samples, ${c.ci.replicates} bootstrap replicates): group B is better`,
          better: 'other',
        },
      ]);
      return c;
    };
    const single = await expectPage(`${runIds.naive},${runIds.ess}`, 1);
    assert.equal(single.pairedSamples, 30);
    // Two sampling seeds per sampler, pooled: 60 samples per group, 60 pairs.
    const pooled = await expectPage(`${runIds.naive},${runIds.naive2};${runIds.ess},${runIds.ess2}`, 2);
    assert.equal(pooled.pairedSamples, 60);
    await session.screenshot('24-views-compare-confidence');

    // The picker builds those groups: two naive runs in group A, two ESS runs in group B.
    await page.goto(`${session.server.base}/#/compare`);
    for (const id of [runIds.naive, runIds.naive2, runIds.ess, runIds.ess2]) {
      await page.locator(`.picker-row:has(code:text-is("${id.slice(0, 8)}")) input[type="checkbox"]`).check();
    }
    await page.locator(`select[data-run="${runIds.naive2}"]`).selectOption({ label: 'group A' });
    await page.locator(`select[data-run="${runIds.ess}"]`).selectOption({ label: 'group B' });
    await page.locator(`select[data-run="${runIds.ess2}"]`).selectOption({ label: 'group B' });
    await page.getByRole('button', { name: 'Compare 4 runs' }).click();
    await session.until(`decodeURIComponent(location.hash).includes(';')`);
    assert.equal(
      decodeURIComponent(await page.evaluate<string>('location.hash')),
      `#/compare?ids=${runIds.naive},${runIds.naive2};${runIds.ess},${runIds.ess2}`,
    );
    await page.locator('.fid-differences li').waitFor();

    // Runs without stored features: the reason, no interval.
    await page.goto(`${session.server.base}/#/compare?ids=${runIds.naive},${runIds.unconditional}`);
    await page.locator('.confidence-unavailable').waitFor();
    assert.match(
      (await page.locator('.confidence-unavailable').textContent()) ?? '',
      new RegExp(
        `^No FID difference: no evaluation features stored for run\\(s\\) ${runIds.unconditional}\\.$`,
      ),
    );
    assert.equal(await page.locator('.fid-differences li').count(), 0);
  });

  test('model page: critic calibration distance, log loss axes, metrics sorted at one precision, training time', async () => {
    await page.goto(`${session.server.base}/#/models/${modelId}`);
    await modelLossCharts(session);
    assert.deepEqual(
      await page.evaluate<string[]>(
        `[...document.querySelectorAll('section[aria-labelledby="losses-title"] figure[data-chart="line"]')].map((f) => f.dataset.yScale)`,
      ),
      ['log', 'linear', 'log', 'log'],
    );
    // Training time: the sum of the stages' clocks (600.25 + 240.5 + 10 + 29.25 s).
    assert.equal(await page.locator('.training-time').textContent(), '14 min 40 s');
    const metrics = page.locator('dl.model-metrics');
    assert.deepEqual(await metrics.locator('dt').allTextContents(), [
      'classifierSeconds',
      'classifierTestAccuracy',
      'criticFalsePositiveRate',
      'criticRealDistance',
      'criticSeconds',
      'priorSeconds',
      'stage1Seconds',
      'stage1Steps',
      'testMse',
    ]);
    assert.deepEqual(await metrics.locator('dd').allTextContents(), [
      '29.3 s',
      '0.9000',
      '0.2889 critic false positives: share of real test tokens ESS (default threshold) would re-mask as unrealistic',
      '1.235 mean critic code distance on real test grids',
      '10.0 s',
      '4 min 1 s',
      '10 min 0 s',
      '4',
      '0.01235',
    ]);
    await session.screenshot('23-views-model');
    assert.deepEqual(errors, []);
  });
});
