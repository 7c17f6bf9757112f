import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildDashboard } from '../../apps/dashboard/build';
import { startApiServer, type ApiServer } from './api-server';

export const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/dashboard');

/** `skip` of a describe() that needs Debian's Chromium. */
export const withoutChromium: string | false = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is not installed (apt-get install chromium)`;

/**
 * The dashboard, built into a temporary directory and served by a real API server (with its in-process
 * worker), and one Chromium page (playwright-core) to drive it.
 */
export interface DashboardSession {
  server: ApiServer;
  browser: Browser;
  page: Page;
  /** A JSON request to the API with the team's key; fails the test on a non-2xx answer. */
  api<T>(method: string, url: string, body?: unknown): Promise<T>;
  /** Signs in through the form and waits for the runs page. */
  signIn(): Promise<void>;
  /** A full-page screenshot in test-artifacts/dashboard/<name>.png (gitignored). */
  screenshot(name: string): Promise<void>;
  /**
   * Polls a browser-side expression from here: page.waitForFunction would evaluate it with eval() inside
   * the page, which the dashboard's Content-Security-Policy (rightly) forbids.
   */
  until(expression: string, timeoutMs?: number): Promise<void>;
  /** Pixels of the first canvas matching `selector` that are not blank: proof that a chart drew something. */
  paintedPixels(selector: string): Promise<number>;
  close(): Promise<void>;
}

export async function startDashboard(
  label: string,
  env: Record<string, string> = {},
): Promise<DashboardSession> {
  const dashboardDir = await mkdtemp(path.join(os.tmpdir(), `maskgen-${label}-`));
  await buildDashboard(dashboardDir);
  const server = await startApiServer(label, env, { dashboardDir });
  await mkdir(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(20_000);

  return {
    server,
    browser,
    page,
    api: async <T>(method: string, url: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${server.base}${url}`, {
        method,
        headers: { 'x-api-key': server.key, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      assert.ok(response.ok, `${method} ${url}: ${response.status} ${await response.clone().text()}`);
      return (response.status === 204 ? undefined : await response.json()) as T;
    },
    signIn: async () => {
      await page.goto(`${server.base}/`);
      await page.getByLabel('API key').fill(server.key);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();
    },
    screenshot: async (name: string) => {
      const file = path.join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      process.stdout.write(`screenshot: ${path.relative(process.cwd(), file)}\n`);
    },
    until: async (expression: string, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await page.evaluate<boolean>(expression))) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
        await page.waitForTimeout(100);
      }
    },
    paintedPixels: (selector: string) =>
      // Browser-side code as a string: the tests are type-checked against Node's globals, not the DOM's.
      page.evaluate<number>(`(() => {
        const canvas = document.querySelector(${JSON.stringify(selector)});
        const context = canvas && canvas.getContext('2d');
        if (!context || canvas.width === 0 || canvas.height === 0) return 0;
        const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
        return painted;
      })()`),
    close: async () => {
      await browser.close();
      await server.close();
      await rm(dashboardDir, { recursive: true, force: true });
    },
  };
}

/**
 * The model page's loss curves once all four have drawn: one uPlot chart per training stage, captioned in stage
 * order. Returns their figures.
 */
export async function modelLossCharts(session: DashboardSession) {
  const figures = 'section[aria-labelledby="losses-title"] figure[data-chart="line"]';
  await session.until(`document.querySelectorAll('${figures} canvas').length === 4`);
  const charts = session.page.locator(figures);
  assert.deepEqual(await charts.locator('figcaption').allTextContents(), [
    'stage1 loss',
    'prior loss',
    'critic calibration distance',
    'classifier loss',
  ]);
  return charts;
}
