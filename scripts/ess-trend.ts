/**
 * `npm run ess-trend -- --results docs/results.json,docs/archive/d-variant-results-seed2.json[,...] [--out file.md]`
 *
 * The §8.10 quality trend (ess.md) over the (dataset, training seed) pipelines of several `npm run report` JSON
 * files: per conditioning, how many pairs ESS has the lower FCN FID in, the median relative change, and whether
 * the coverage (5 datasets × 3 seeds) is there. Prints markdown; `--out` also writes it to a file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { UsageError, parseFlags, runMain } from './cli';
import { type DatasetResult, RESULT_VERSION } from './report/run';
import { computeTrend, renderTrend } from './report/trend';

const USAGE = `usage: npm run ess-trend -- --results <report.json,...> [--out file.md]
  --results  comma-separated files written by npm run report (<out>.json); each (dataset, seed) in only one
  --out      also write the markdown to this file`;

function readReport(file: string): DatasetResult[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const datasets = (parsed as { datasets?: unknown }).datasets;
  if (!Array.isArray(datasets))
    throw new UsageError(`${file} is not an npm run report JSON (no "datasets" list)`);
  for (const r of datasets as DatasetResult[]) {
    if (r?.version !== RESULT_VERSION || typeof r.dataset !== 'string' || r.results === undefined) {
      throw new UsageError(`${file}: a dataset entry is not a version ${RESULT_VERSION} report result`);
    }
  }
  return datasets as DatasetResult[];
}

function main(): number {
  const args = parseFlags({ results: { type: 'string' }, out: { type: 'string' } }, USAGE);
  if (args === undefined) return 0;
  const files = (args.results ?? '').split(',').map((file) => file.trim());
  if (files.some((file) => file === ''))
    throw new UsageError('--results needs report JSON files, comma-separated');
  let trend;
  try {
    trend = computeTrend(files.flatMap(readReport));
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
  const markdown = renderTrend(trend);
  process.stdout.write(markdown);
  if (args.out !== undefined) writeFileSync(args.out, markdown);
  return 0;
}

runMain(main, USAGE);
