/**
 * Builds the dashboard (apps/dashboard/src) into static files the API serves at `/`: index.html, and
 * content-hashed JavaScript and CSS under /dashboard/. `npm run build` runs it; the browser test runs
 * buildDashboard() itself. esbuild bundles in well under a second.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '../..');
export const DEFAULT_DASHBOARD_DIR = path.join(ROOT, 'dist/dashboard');
/** URL prefix of the bundled assets; index.html alone is served at `/`. */
export const ASSET_PREFIX = '/dashboard/';

export async function buildDashboard(
  outDir = DEFAULT_DASHBOARD_DIR,
): Promise<{ outDir: string; files: string[] }> {
  await rm(outDir, { recursive: true, force: true });
  const assets = path.join(outDir, 'dashboard');
  await mkdir(assets, { recursive: true });
  const result = await build({
    entryPoints: { app: path.join(__dirname, 'src/main.tsx') },
    outdir: assets,
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'browser',
    tsconfig: path.join(__dirname, 'tsconfig.json'),
    jsx: 'automatic',
    jsxImportSource: 'preact',
    metafile: true,
    logLevel: 'warning',
    legalComments: 'linked',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) =>
    path.relative(outDir, path.resolve(ROOT, file)),
  );
  const script = outputs.find((file) => file.endsWith('.js'));
  const style = outputs.find((file) => file.endsWith('.css'));
  if (!script || !style)
    throw new Error(`dashboard build produced no script or stylesheet: ${outputs.join(', ')}`);
  await writeFile(path.join(outDir, 'index.html'), indexHtml(`/${script}`, `/${style}`));
  return { outDir, files: ['index.html', ...outputs] };
}

function indexHtml(script: string, style: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light" />
    <title>maskgen</title>
    <link rel="stylesheet" href="${style}" />
    <script type="module" src="${script}"></script>
  </head>
  <body>
    <div id="app"><p>Loading the maskgen dashboard…</p></div>
    <noscript>The maskgen dashboard needs JavaScript. The API itself is documented at <a href="/docs">/docs</a>.</noscript>
  </body>
</html>
`;
}

if (require.main === module) {
  const started = Date.now();
  buildDashboard(process.argv[2] ? path.resolve(process.argv[2]) : undefined).then(
    ({ outDir, files }) => {
      process.stdout.write(
        `dashboard: ${files.length} files in ${path.relative(process.cwd(), outDir) || '.'} (${Date.now() - started} ms)\n`,
      );
    },
    (error: unknown) => {
      process.stderr.write(
        `dashboard build failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
