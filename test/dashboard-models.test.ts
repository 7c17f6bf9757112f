/**
 * The model pages of the web dashboard in a real browser against a real API server and worker: train a
 * model (tiny profile) from the models page and watch its progress and loss curves, sample it with ESS
 * from the runs page and naively, read the critic's per-token heatmaps (ESS re-masked tokens outlined),
 * and compare the two runs (metric bars, galleries, metric history of a scheduled model run). Every
 * chart is checked against the numbers the API returns. Screenshots go to test-artifacts/dashboard/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { formatNumber, rampColor } from '../apps/dashboard/src/format';
import { metricReference, type MetricWithDetails } from '../libs/client/src/metrics';
import { modelLossCharts, startDashboard, withoutChromium, type DashboardSession } from './support/browser';
import { waitFor } from './support/services';

interface StageBody {
  status: string;
  step: number;
  totalSteps: number;
  history: { step: number; loss: number }[];
}

interface ModelBody {
  id: string;
  status: string;
  progress: { stages: Record<string, StageBody> };
}

interface RunBody {
  id: string;
  status: string;
  error: string | null;
  samplesStored: number;
}

interface Grid {
  rows: number;
  columns: number;
  before: number[];
  after: number[] | null;
  remasked: number[] | null;
}

interface HeatmapSeen {
  title: string;
  rows: number;
  columns: number;
  points: number;
  remasked: number;
  /** Per cell in grid order: outlined in the re-masked red, and the colour at its centre. */
  cells: { outlined: boolean; centre: [number, number, number] }[];
}

const STAGES = ['stage1', 'prior', 'critic', 'classifier'];

/** Reads every critic heatmap on the page back from its canvas pixels. */
function readHeatmaps(page: Page): Promise<HeatmapSeen[]> {
  return page.evaluate<HeatmapSeen[]>(`(() => {
    const figures = [...document.querySelectorAll('section[aria-labelledby="critic-title"] figure[data-chart="heatmap"]')];
    return figures.map((figure) => {
      const canvas = figure.querySelector('canvas');
      const rows = Number(figure.dataset.rows);
      const columns = Number(figure.dataset.columns);
      const cell = canvas.width / columns;
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      const pixel = (x, y) => {
        const i = (Math.floor(y) * canvas.width + Math.floor(x)) * 4;
        return [data[i], data[i + 1], data[i + 2]];
      };
      const cells = [];
      for (let r = 0; r < rows; r += 1) {
        for (let c = 0; c < columns; c += 1) {
          const edge = pixel(c * cell + 1, r * cell + cell / 2);
          cells.push({
            outlined: edge[0] > 200 && edge[1] < 40 && edge[2] < 90,
            centre: pixel(c * cell + cell / 2, r * cell + cell / 2),
          });
        }
      }
      return {
        title: figure.querySelector('figcaption').textContent,
        rows,
        columns,
        points: Number(figure.dataset.points),
        remasked: Number(figure.dataset.remasked),
        cells,
      };
    });
  })()`);
}

function rgb(color: string): number[] {
  return (/rgb\((\d+), (\d+), (\d+)\)/.exec(color) ?? []).slice(1).map(Number);
}

/** The heatmap drew `values` on the scale [min, max]: each cell's centre has the ramp colour of its value. */
function assertCellColours(seen: HeatmapSeen, values: number[], range: { min: number; max: number }): void {
  assert.equal(seen.cells.length, values.length);
  const span = range.max - range.min || 1;
  seen.cells.forEach((cell, index) => {
    const expected = rgb(rampColor((values[index] - range.min) / span));
    const off = Math.max(...cell.centre.map((channel, k) => Math.abs(channel - expected[k])));
    assert.ok(
      off <= 3,
      `${seen.title}: cell ${index} is rgb(${cell.centre.join(', ')}), not rgb(${expected.join(', ')})`,
    );
  });
}

describe('web dashboard with a trained model', { skip: withoutChromium }, () => {
  let session: DashboardSession;
  let page: Page;
  let datasetId: string;
  let modelId = '';
  const runIds = { naive: '', ess: '' };
  const errors: string[] = [];
  const api = <T>(method: string, url: string, body?: unknown) => session.api<T>(method, url, body);

  /** Waits for the status badge in the page heading to read `status`, collecting what it showed. */
  async function watchBadge(status: string, timeoutMs = 60_000): Promise<Set<string>> {
    const badge = page.locator('h1 .badge');
    const seen = new Set<string>();
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
      const text = (await badge.textContent()) ?? '';
      seen.add(text);
      if (text === status) return seen;
      await page.waitForTimeout(100);
    }
    assert.fail(`the badge never read ${status}; saw ${[...seen].join(', ')}`);
  }

  before(async () => {
    session = await startDashboard('dashboard-models', { SCHEDULE_MIN_INTERVAL_SECONDS: '1' });
    page = session.page;
    page.on('pageerror', (error) => errors.push(error.message));
    datasetId = (await api<{ id: string }>('POST', '/datasets/builtin', { dataset: 'ItalyPowerDemand' })).id;
    await session.signIn();
  });

  after(async () => {
    await session?.close();
  });

  test('train a tiny model from the models page: live progress, then a loss curve per stage', async () => {
    await page.goto(`${session.server.base}/#/models`);
    await page.getByLabel('Dataset').selectOption({ label: 'ItalyPowerDemand' });
    await page.getByLabel('Profile').selectOption('tiny');
    await page.getByLabel('Seed').fill('1');
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => frame === page.mainFrame() && navigations.push(frame.url()));
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.waitForURL(/#\/models\/[0-9a-f-]{36}$/);
    modelId = /#\/models\/([0-9a-f-]{36})$/.exec(page.url())![1];
    const seen = await watchBadge('ready');
    assert.ok(seen.size >= 2, `only saw ${[...seen].join(', ')}: the page did not follow the training`);
    assert.equal(navigations.filter((url) => !url.endsWith(`#/models/${modelId}`)).length, 0, 'reloaded');

    const model = await api<ModelBody>('GET', `/models/${modelId}`);
    assert.equal(model.status, 'ready');
    // Progress table: every stage done, with the API's step counts.
    const stagesTable = page.locator('section[aria-labelledby="stages-title"] table');
    for (const name of STAGES) {
      const stage = model.progress.stages[name];
      const row = stagesTable.locator('tr', { has: page.getByRole('rowheader', { name, exact: true }) });
      await row.getByText(`${stage.step}/${stage.totalSteps}`, { exact: true }).waitFor();
      assert.equal(await row.locator('.badge').textContent(), 'done');
      assert.equal(
        Number(await row.getByRole('progressbar').getAttribute('value')),
        stage.step,
        `${name} progress bar`,
      );
    }

    // Loss curves: one uPlot chart per stage, with as many points as the stage's loss history.
    const charts = await modelLossCharts(session);
    for (const [i, name] of STAGES.entries()) {
      const history = model.progress.stages[name].history;
      assert.ok(history.length > 0, `${name} has a loss history`);
      assert.equal(Number(await charts.nth(i).getAttribute('data-points')), history.length, name);
      assert.equal(Number(await charts.nth(i).getAttribute('data-series')), 1, name);
      const painted = await session.paintedPixels(
        `section[aria-labelledby="losses-title"] figure[data-chart="line"]:nth-of-type(${i + 1}) canvas`,
      );
      assert.ok(painted > 500, `${name} chart painted ${painted} pixels`);
    }
    await page.getByRole('link', { name: 'ItalyPowerDemand', exact: true }).waitFor();
    await session.screenshot('10-model-trained');

    // The models list: the model, ready, at the last step of its last stage (the critic; the classifier trains
    // beside stage 1).
    await page.getByRole('link', { name: 'Models', exact: true }).click();
    const row = page.locator('tr', { has: page.getByRole('link', { name: 'ItalyPowerDemand-tiny' }) });
    await row.waitFor();
    const critic = model.progress.stages.critic;
    assert.deepEqual((await row.locator('td').allTextContents()).slice(1, 4), [
      'ready',
      'tiny',
      `critic ${critic.step}/${critic.totalSteps}`,
    ]);
  });

  test('ESS and naive runs of the model: per-class plots and critic heatmaps match the API', async () => {
    assert.ok(modelId, 'needs the model of the first test');
    // The ESS run from the runs page's form; the naive one through the API, same seed.
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    await page.getByRole('button', { name: 'New run' }).click();
    await page.getByLabel('Trained model').check();
    await page.getByLabel('Model', { exact: true }).selectOption(modelId);
    await page.getByLabel('Method').selectOption('ess');
    await page.getByLabel('Samples').fill('10');
    await page.getByLabel('Shard size').fill('5');
    await page.getByLabel('Seed (optional)').fill('7');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/#\/runs\/[0-9a-f-]{36}$/);
    runIds.ess = /#\/runs\/([0-9a-f-]{36})$/.exec(page.url())![1];
    runIds.naive = (
      await api<RunBody>('POST', '/runs', {
        sampler: { kind: 'model', modelId, method: 'naive', classes: 'balanced' },
        numSamples: 10,
        shardSize: 5,
        seed: 7,
      })
    ).id;
    await watchBadge('succeeded');
    const essRun = await api<RunBody>('GET', `/runs/${runIds.ess}`);
    assert.equal(essRun.samplesStored, 10);
    await page.getByText('10 of 10', { exact: true }).waitFor();
    await page.getByRole('link', { name: modelId.slice(0, 8) }).waitFor();

    // Metrics table: the API's metrics, in order, each next to its real-data reference.
    const metrics = await api<{ items: MetricWithDetails[] }>('GET', `/runs/${runIds.ess}/metrics`);
    const modelMetrics = (await api<{ metrics: Record<string, number> }>('GET', `/models/${modelId}`))
      .metrics;
    const metricsTable = page.locator('section[aria-labelledby="metrics-title"] table');
    await metricsTable.getByRole('rowheader', { name: 'fid', exact: true }).waitFor();
    assert.deepEqual(
      await metricsTable.locator('tbody th').allTextContents(),
      metrics.items.map((m) => m.name),
    );
    assert.deepEqual(
      await metricsTable.locator('tbody td.num').allTextContents(),
      metrics.items.map((m) => formatNumber(m.value)),
    );
    const references = await metricsTable.locator('tbody td.metric-reference').allTextContents();
    assert.deepEqual(
      references,
      metrics.items.map((m) => metricReference(m, formatNumber, modelMetrics) ?? ''),
    );
    assert.ok(
      references.some((text) => text.startsWith('real train vs test')),
      'FID names the real-data reference',
    );

    // Real vs generated per class: the model's dataset is preselected; balanced classes 1 and 2.
    const samples = await api<{ items: { classIndex: number }[] }>(
      'GET',
      `/runs/${runIds.ess}/samples?limit=100`,
    );
    const real = await api<{ items: { classIndex: number }[] }>(
      'GET',
      `/datasets/${datasetId}/series?split=train&limit=100`,
    );
    const lineCharts = page.locator('section[aria-labelledby="samples-title"] figure[data-chart="line"]');
    await session.until(
      `document.querySelectorAll('section[aria-labelledby="samples-title"] figure[data-chart="line"] canvas').length === 2`,
    );
    assert.deepEqual(await lineCharts.locator('figcaption').allTextContents(), ['1', '2']);
    for (const classIndex of [0, 1]) {
      const count = (items: { classIndex: number }[]) =>
        Math.min(8, items.filter((item) => item.classIndex === classIndex).length);
      assert.ok(count(samples.items) > 0 && count(real.items) > 0);
      assert.equal(
        Number(await lineCharts.nth(classIndex).getAttribute('data-series')),
        count(samples.items) + count(real.items),
      );
    }

    // Critic heatmaps of the ESS sample with the most re-masked tokens.
    const grids = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        api<{ lf: Grid; hf: Grid | null }>('GET', `/runs/${runIds.ess}/samples/${index}/critic`),
      ),
    );
    const remaskedCount = (grid: Grid) => (grid.remasked ?? []).filter((flag) => flag === 1).length;
    const chosen = grids.reduce(
      (best, scores, index) => (remaskedCount(scores.lf) > remaskedCount(grids[best].lf) ? index : best),
      0,
    );
    const lf = grids[chosen].lf;
    assert.ok(lf.after && lf.remasked, 'ESS samples have scores after resampling and a re-mask');
    assert.ok(remaskedCount(lf) > 0, 'ESS re-masked some tokens of some sample');
    assert.equal(grids[chosen].hf, null);
    await page.getByLabel('Sample', { exact: true }).selectOption(String(chosen));
    await page.locator(`.critic-panel[data-sample="${chosen}"]`).waitFor();
    await page.getByText(`${remaskedCount(lf)} of ${lf.rows * lf.columns} tokens were re-masked`).waitFor();
    const seen = await readHeatmaps(page);
    assert.equal(seen.length, 2, 'before and after ESS');
    const range = { min: Math.min(...lf.before, ...lf.after), max: Math.max(...lf.before, ...lf.after) };
    for (const [heatmap, values] of [
      [seen[0], lf.before],
      [seen[1], lf.after],
    ] as const) {
      assert.equal(heatmap.rows, lf.rows);
      assert.equal(heatmap.columns, lf.columns);
      assert.equal(heatmap.points, lf.rows * lf.columns);
      assert.equal(heatmap.remasked, remaskedCount(lf));
      // The outlined cells are exactly the re-masked tokens.
      assert.deepEqual(
        heatmap.cells.map((cell) => (cell.outlined ? 1 : 0)),
        lf.remasked,
      );
      assertCellColours(heatmap, values, range);
    }
    assert.match(seen[1].title, /after ESS resampling/);
    await session.screenshot('11-ess-run-critic');

    // The naive run: one heatmap of the scores of its tokens, nothing re-masked.
    await page.goto(`${session.server.base}/#/runs/${runIds.naive}`);
    await watchBadge('succeeded');
    const naive = await api<{ lf: Grid }>('GET', `/runs/${runIds.naive}/samples/4/critic`);
    assert.equal(naive.lf.after, null);
    assert.equal(naive.lf.remasked, null);
    await page.getByLabel('Sample', { exact: true }).selectOption('4');
    await page.locator('.critic-panel[data-sample="4"]').waitFor();
    const [naiveHeatmap] = await readHeatmaps(page);
    assert.equal(naiveHeatmap.points, naive.lf.rows * naive.lf.columns);
    assert.equal(naiveHeatmap.remasked, 0);
    assert.ok(naiveHeatmap.cells.every((cell) => !cell.outlined));
    assertCellColours(naiveHeatmap, naive.lf.before, {
      min: Math.min(...naive.lf.before),
      max: Math.max(...naive.lf.before),
    });
    assert.equal(await page.getByText(/tokens were re-masked/).count(), 0);
    await session.screenshot('12-naive-run-critic');
  });

  test('compare the naive and ESS runs: metric bars, galleries and a scheduled run metric history', async () => {
    assert.ok(runIds.naive && runIds.ess, 'needs the runs of the previous test');
    // A schedule sampling the model every 2 s, stopped (replaced by a nightly one) after two runs.
    const schedule = (cron: string) =>
      api('PUT', '/schedules/ess-frequent', {
        cron,
        timezone: 'UTC',
        run: {
          sampler: { kind: 'model', modelId, method: 'ess', classes: 'balanced' },
          numSamples: 10,
          shardSize: 10,
        },
      });
    type History = { runId: string; status: string; createdAt: string; metrics: Record<string, number> }[];
    await schedule('*/2 * * * * *');
    await waitFor(
      'two scheduled runs with metrics',
      async () => {
        const history = await api<History>('GET', '/schedules/ess-frequent/history');
        return history.filter((entry) => typeof entry.metrics.fid === 'number').length >= 2
          ? true
          : undefined;
      },
      45_000,
      250,
    );
    await schedule('0 2 * * *');
    const history = await waitFor(
      'scheduled runs to settle',
      async () => {
        const entries = await api<History>('GET', '/schedules/ess-frequent/history');
        return entries.every((entry) => !['queued', 'running'].includes(entry.status)) ? entries : undefined;
      },
      30_000,
      250,
    );

    await page.goto(`${session.server.base}/#/compare?ids=${runIds.naive},${runIds.ess}`);
    await page.getByRole('heading', { name: 'Compare runs' }).waitFor();
    const compared = await api<{
      runs: { id: string; metrics: Record<string, number> }[];
      betterDirection: Record<string, string | null>;
    }>('GET', `/runs/compare?ids=${runIds.naive},${runIds.ess}`);
    // Bars for the metrics with a better direction only; counts such as evaluated_samples are a plain table.
    const metricNames = [...new Set(compared.runs.flatMap((run) => Object.keys(run.metrics)))]
      .filter((name) => compared.betterDirection[name] !== null)
      .sort();
    assert.ok(metricNames.includes('fid') && metricNames.includes('critic_distance'));

    // Bars: one per metric and run, each group on its own scale, titled with the API's value.
    const bars = page.locator('figure[data-chart="bars"]');
    await bars.locator('svg rect').first().waitFor();
    const drawn = await page.evaluate<{ title: string; width: number }[]>(
      `[...document.querySelectorAll('figure[data-chart="bars"] svg g g')].map((g) => ({
         title: g.querySelector('title').textContent,
         width: Number(g.querySelector('rect').getAttribute('width')),
       }))`,
    );
    assert.equal(drawn.length, metricNames.length * 2);
    // ESS diagnostics (ess_critic_worse_share) exist for the ESS run only: its naive bar says "not measured".
    const measured = metricNames.flatMap((metric) =>
      compared.runs.filter((run) => run.metrics[metric] !== undefined),
    ).length;
    assert.equal(Number(await bars.getAttribute('data-points')), measured);
    metricNames.forEach((metric, g) => {
      const values = compared.runs.map((run) => run.metrics[metric]);
      const max = Math.max(...values.map((value) => Math.abs(value ?? 0)), 1e-12);
      values.forEach((value, i) => {
        const bar = drawn[g * 2 + i];
        assert.ok(bar.title.startsWith(`${metric}, `), bar.title);
        if (value === undefined) return assert.ok(bar.title.endsWith(': not measured'), bar.title);
        assert.ok(bar.title.endsWith(`: ${formatNumber(value)}`), `${bar.title} vs ${value}`);
        assert.ok(Math.abs(bar.width - Math.max((Math.abs(value) / max) * 360, 1)) < 0.01, bar.title);
      });
    });
    // Each bar is labelled with its run, the API's name and the short id, inside the picture.
    const clipped = await page.evaluate<string[]>(
      `[...document.querySelectorAll('figure[data-chart="bars"] .bar-label')]
         .filter((label) => label.getBBox().x < 0).map((label) => label.textContent)`,
    );
    assert.deepEqual(clipped, []);
    const labels = await bars.locator('svg .bar-label').allTextContents();
    assert.deepEqual(labels.slice(0, 2), [
      `naive sampler · ${runIds.naive.slice(0, 8)}`,
      `ess sampler · ${runIds.ess.slice(0, 8)}`,
    ]);

    // Galleries: the first six samples of each run, as many points as the series length (24).
    const galleries = page.locator('figure[data-chart="gallery"]');
    assert.equal(await galleries.count(), 2);
    await session.until(
      `document.querySelectorAll('figure[data-chart="gallery"] svg.sparkline').length === 12`,
    );
    const points = await page.evaluate<number[][]>(
      `[...document.querySelectorAll('figure[data-chart="gallery"]')].map((figure) =>
         [...figure.querySelectorAll('svg.sparkline polyline')].map((line) => line.getAttribute('points').split(' ').length))`,
    );
    assert.deepEqual(points, [Array(6).fill(24), Array(6).fill(24)]);

    // Metric history of the schedule: one chart per metric, one point per run that has it.
    const historyCharts = page.locator('section[aria-labelledby="history-title"] figure[data-chart="line"]');
    await page.getByLabel('Schedule', { exact: true }).selectOption('ess-frequent');
    const historyMetrics = [...new Set(history.flatMap((entry) => Object.keys(entry.metrics)))].sort();
    assert.ok(history.length >= 2 && historyMetrics.includes('fid'));
    await session.until(
      `document.querySelectorAll('section[aria-labelledby="history-title"] figure[data-chart="line"] canvas').length === ${historyMetrics.length}`,
    );
    assert.deepEqual(await historyCharts.locator('figcaption').allTextContents(), historyMetrics);
    for (const [i, metric] of historyMetrics.entries()) {
      const chart = historyCharts.nth(i);
      assert.equal(Number(await chart.getAttribute('data-series')), 1);
      assert.equal(
        Number(await chart.getAttribute('data-points')),
        history.filter((entry) => typeof entry.metrics[metric] === 'number').length,
        metric,
      );
    }
    const fidChart = historyMetrics.indexOf('fid') + 1;
    assert.ok(
      (await session.paintedPixels(
        `section[aria-labelledby="history-title"] figure[data-chart="line"]:nth-of-type(${fidChart}) canvas`,
      )) > 300,
    );
    await session.screenshot('13-compare-naive-ess');
    assert.deepEqual(errors, []);
  });
});
