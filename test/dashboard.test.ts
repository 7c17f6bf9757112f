/**
 * The web dashboard in a real browser (Debian's Chromium through playwright-core) against a real API
 * server: sign in, start a run and watch it finish live, compare two runs, and check that the charts
 * drew data. Screenshots go to test-artifacts/dashboard/ (gitignored).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { ApiServer } from './support/api-server';
import { startDashboard, withoutChromium, type DashboardSession } from './support/browser';

interface RunBody {
  id: string;
  status: string;
}

describe('web dashboard', { skip: withoutChromium }, () => {
  let session: DashboardSession;
  let server: ApiServer;
  let page: Page;
  const api = <T>(method: string, url: string, body?: unknown) => session.api<T>(method, url, body);
  const screenshot = (name: string) => session.screenshot(name);
  const until = (expression: string, timeoutMs?: number) => session.until(expression, timeoutMs);
  const paintedPixels = (selector: string) => session.paintedPixels(selector);

  before(async () => {
    session = await startDashboard('dashboard');
    ({ server, page } = session);
  });

  after(async () => {
    await session?.close();
  });

  test('the page and its assets are public; API routes still need a key; /docs still answers', async () => {
    const index = await fetch(`${server.base}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /text\/html/);
    const html = await index.text();
    const script = /src="(\/dashboard\/app-[\w]+\.js)"/.exec(html)?.[1];
    assert.ok(script, html);
    const asset = await fetch(`${server.base}${script}`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);

    assert.equal((await fetch(`${server.base}/runs`)).status, 401);
    assert.equal((await fetch(`${server.base}/dashboard/../runs`)).status, 401);
    assert.equal((await fetch(`${server.base}/dashboard/nothing-here.js`)).status, 404);
    assert.equal((await fetch(`${server.base}/docs/openapi.json`)).status, 200);
  });

  test('sign in, start a run, watch it finish live, compare two runs; charts are drawn', async () => {
    await api('POST', '/datasets/builtin', { dataset: 'CBF' });
    const other = await api<RunBody>('POST', '/runs', {
      sampler: { kind: 'synthetic', generator: 'cbf', length: 128 },
      numSamples: 300,
      shardSize: 100,
      seed: 11,
    });

    await page.goto(`${server.base}/`);
    const wrong = page.getByLabel('API key');
    await wrong.fill('mgk_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Unknown or revoked API key' }).waitFor();
    await page.getByLabel('API key').fill(server.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();
    // Live updates come from GET /events (server-sent events), not from polling.
    await page.locator('header .live-events').waitFor();
    await screenshot('01-runs');

    // A new run from the form; the detail page must reach "succeeded" without a reload.
    await page.getByRole('button', { name: 'New run' }).click();
    await page.getByLabel('Samples').fill('6000');
    await page.getByLabel('Shard size').fill('300');
    await page.getByLabel('Seed (optional)').fill('3');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/#\/runs\/[0-9a-f-]{36}$/);
    const runId = /#\/runs\/([0-9a-f-]{36})$/.exec(page.url())![1];
    const badge = page.locator('h1 .badge');
    const seen = new Set<string>();
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => frame === page.mainFrame() && navigations.push(frame.url()));
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      const status = (await badge.textContent()) ?? '';
      seen.add(status);
      if (status === 'succeeded') break;
      await page.waitForTimeout(100);
    }
    assert.ok(seen.has('succeeded'), `statuses seen: ${[...seen].join(', ')}`);
    assert.ok(seen.size >= 2, `only saw ${[...seen].join(', ')}: the page did not update while the run ran`);
    assert.deepEqual(navigations, [], 'the page reloaded');
    await page.getByText('6,000 of 6,000').waitFor();

    // Metrics table and real-vs-generated plots per class (CBF has three classes).
    await page.getByRole('rowheader', { name: 'value_mean' }).waitFor();
    await page.getByLabel('Real data from').selectOption({ label: 'CBF (length 128)' });
    const lineCharts = page.locator('#samples-title ~ .chart-grid figure[data-chart="line"]');
    await until(
      `document.querySelectorAll('figure[data-chart="line"] canvas').length >= 3 &&
         [...document.querySelectorAll('figure[data-chart="line"]')].every((f) => Number(f.dataset.series) >= 2)`,
    );
    assert.equal(await lineCharts.count(), 3);
    assert.deepEqual(await lineCharts.locator('figcaption').allTextContents(), ['1', '2', '3']);
    assert.ok((await paintedPixels('figure[data-chart="line"] canvas')) > 500);
    await page.getByText('synthetic reference sampler').waitFor();
    await screenshot('02-run-detail');

    // Compare from the runs list: pick both runs, then the comparison page.
    await api<RunBody>('GET', `/runs/${other.id}`);
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    await page.getByLabel(`Select run ${runId.slice(0, 8)} for comparison`).check();
    await page.getByLabel(`Select run ${other.id.slice(0, 8)} for comparison`).check();
    await page.getByRole('button', { name: 'Compare selected (2)' }).click();
    await page.waitForURL(/#\/compare\?ids=/);
    await page.getByRole('heading', { name: 'Compare runs' }).waitFor();
    // Synthetic runs have only bookkeeping figures (counts, means): a plain table, no bars, no "better".
    const bookkeeping = page.locator('table[data-table="bookkeeping"]');
    await bookkeeping.getByRole('rowheader', { name: 'value_mean' }).waitFor();
    assert.ok((await bookkeeping.locator('tbody tr').count()) >= 4);
    assert.equal(await page.locator('figure[data-chart="bars"]').count(), 0);
    await page.getByText('No quality metrics').waitFor();
    await until(`document.querySelectorAll('svg.sparkline polyline').length >= 12`);
    const galleries = page.locator('figure[data-chart="gallery"]');
    assert.equal(await galleries.count(), 2);
    await screenshot('03-compare');

    // Every form control on the pages visited has an accessible name.
    const unlabelled = await page.evaluate<string[]>(
      `[...document.querySelectorAll('input, select')]
           .filter((e) => !e.labels?.length && !e.getAttribute('aria-label'))
           .map((e) => e.outerHTML)`,
    );
    assert.deepEqual(unlabelled, []);
  });

  test('models, datasets and schedules pages render (or say what is missing) without errors', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.base}/#/datasets`);
    await page.getByRole('link', { name: 'CBF' }).click();
    await until(`document.querySelectorAll('#preview-title ~ .chart-grid canvas').length === 3`);
    assert.ok((await paintedPixels('#preview-title ~ .chart-grid canvas')) > 500);
    await screenshot('04-datasets');

    await page.goto(`${server.base}/#/schedules`);
    await page.getByLabel('Name', { exact: true }).fill('nightly-test');
    await page.getByLabel('Time zone').fill('Europe/Oslo');
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await page.getByRole('link', { name: 'nightly-test' }).waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete schedule nightly-test' }).click();
    await page.getByText('No schedules yet.').waitFor();

    await page.goto(`${server.base}/#/models`);
    await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
    await page.locator('main :is(.notice, form, table, .muted)').first().waitFor();
    await screenshot('05-models');
    assert.deepEqual(errors, []);
  });
});
