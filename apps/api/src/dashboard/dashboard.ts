import { existsSync } from 'node:fs';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Express, Request, Response } from 'express';

/** The built dashboard: dist/dashboard under the nearest ancestor directory that has one. */
export function findDashboardDir(from = __dirname): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'dist', 'dashboard');
    if (existsSync(path.join(candidate, 'index.html'))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>maskgen</title></head>
<body><h1>maskgen</h1><p>The dashboard is not built: run <code>npm run build</code> (or
<code>npm run build:dashboard</code>) and reload. The API is documented at <a href="/docs">/docs</a>.</p></body></html>`;

/**
 * Serves the dashboard without an API key: its index at exactly `/` and its bundled assets under
 * `/dashboard/`. These are plain Express handlers ahead of the Nest router, so no API route becomes
 * public and no API path is shadowed (the dashboard routes with `#/...` fragments).
 */
export function mountDashboard(app: INestApplication, dir = findDashboardDir()): void {
  const express = app as NestExpressApplication;
  const noSniff = (response: Response) => {
    response.setHeader('x-content-type-options', 'nosniff');
    response.setHeader('referrer-policy', 'no-referrer');
  };
  const http: Express = express.getHttpAdapter().getInstance();
  http.get('/', (_request: Request, response: Response) => {
    noSniff(response);
    response.setHeader('cache-control', 'no-cache');
    response.setHeader(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    );
    if (!dir) {
      response.status(503).type('html').send(NOT_BUILT);
      return;
    }
    response.sendFile(path.join(dir, 'index.html'));
  });
  if (!dir) return;
  express.useStaticAssets(path.join(dir, 'dashboard'), {
    prefix: '/dashboard/',
    index: false,
    // File names carry a content hash, so a cached copy is never stale.
    immutable: true,
    maxAge: '365d',
    setHeaders: noSniff,
  });
}
