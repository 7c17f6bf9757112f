import { existsSync } from 'node:fs';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Express, NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

/** The built dashboard: dist/dashboard under the nearest ancestor directory that has one. */
export function findDashboardDir(from = __dirname): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'dist', 'dashboard');
    if (isBuilt(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function isBuilt(dir: string): boolean {
  return existsSync(path.join(dir, 'index.html'));
}

/**
 * Where the dashboard is, looked up on every request so that a build made after boot (`npm run
 * build:dashboard`, or the one `npm start` makes) is served without a restart. A string is a fixed
 * directory that may not be built yet; the default searches like findDashboardDir().
 */
export type DashboardLocation = string | (() => string | undefined);

function resolveDashboard(location: DashboardLocation): string | undefined {
  if (typeof location !== 'string') return location();
  return isBuilt(location) ? location : undefined;
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>maskgen</title></head>
<body><h1>maskgen</h1><p>The dashboard is not built: run <code>npm run build</code> (or
<code>npm run build:dashboard</code>) and reload. The API is documented at <a href="/docs">/docs</a>.</p></body></html>`;

/**
 * Serves the dashboard without an API key: its index at exactly `/` and its bundled assets under
 * `/dashboard/`. These are plain Express handlers ahead of the Nest router, so no API route becomes
 * public and no API path is shadowed (the dashboard routes with `#/...` fragments).
 */
export function mountDashboard(
  app: INestApplication,
  location: DashboardLocation = () => findDashboardDir(),
): void {
  const noSniff = (response: Response) => {
    response.setHeader('x-content-type-options', 'nosniff');
    response.setHeader('referrer-policy', 'no-referrer');
  };
  const http: Express = (app as NestExpressApplication).getHttpAdapter().getInstance();
  http.get('/', (_request: Request, response: Response) => {
    noSniff(response);
    response.setHeader('cache-control', 'no-cache');
    response.setHeader(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    );
    const dir = resolveDashboard(location);
    if (!dir) {
      response.status(503).type('html').send(NOT_BUILT);
      return;
    }
    response.sendFile(path.join(dir, 'index.html'));
  });
  http.use('/dashboard', (request: Request, response: Response, next: NextFunction) => {
    const dir = resolveDashboard(location);
    if (!dir || (request.method !== 'GET' && request.method !== 'HEAD')) {
      next();
      return;
    }
    noSniff(response);
    // `root` confines the path to the assets directory (send refuses `..`); unknown files fall through.
    response.sendFile(
      request.path,
      // File names carry a content hash, so a cached copy is never stale.
      { root: path.join(dir, 'dashboard'), immutable: true, maxAge: '365d', dotfiles: 'deny' },
      (error?: Error) => {
        if (error && !response.headersSent) next();
      },
    );
  });
}

/**
 * `npm start` on a fresh clone: builds the dashboard (about a second, with esbuild from the dev
 * dependencies) into `dir` when no built one is found, so the first start serves it. A failed build is
 * logged and leaves the "not built" page; it never stops the API.
 */
export async function buildDashboardIfMissing(
  logger: Pick<Logger, 'info' | 'warn'>,
  dir?: string,
): Promise<string | undefined> {
  const found = dir === undefined ? findDashboardDir() : resolveDashboard(dir);
  if (found) return found;
  const started = Date.now();
  try {
    // Loaded only here: production images ship a built dashboard and no esbuild.
    const { buildDashboard } = await import('../../../dashboard/build');
    const { outDir } = await buildDashboard(dir);
    logger.info({ dashboardDir: outDir, ms: Date.now() - started }, 'built the dashboard');
    return outDir;
  } catch (error) {
    logger.warn(
      { err: error },
      'the dashboard is not built and building it failed; run npm run build:dashboard',
    );
    return undefined;
  }
}
