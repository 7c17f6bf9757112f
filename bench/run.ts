import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import {
  SeededRng,
  TensorBackendUnavailableError,
  initTensorBackend,
  type TensorBackendInfo,
  type TensorBackendKind,
} from '@maskgen/tensor';
import { UsageError, runMain } from '../scripts/cli';
import { BENCH_SUITES } from './suites';
import { type BenchResult } from './types';

const ALL_BACKENDS: readonly TensorBackendKind[] = ['node-gpu', 'node', 'wasm', 'cpu'];
const RESULTS_DIR = path.join(__dirname, 'results');

const USAGE = `usage: npm run bench -- [--suite name[,name]] [--backend wasm,cpu] [--out file] [--list] [--quick]
  --quick: suites that support it (training) time one iteration per case, to check they work; not a measurement.
  Full runs write bench/results/latest.json; filtered runs write bench/results/filtered.tmp.json unless --out is given.`;

interface Row extends BenchResult {
  readonly suite: string;
  readonly backend: TensorBackendKind;
}

function splitList(values: string[] | undefined): string[] | undefined {
  return values?.flatMap((v) => v.split(',')).filter((v) => v.length > 0);
}

function gitCommit(): string | null {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync(
      'git',
      ['status', '--porcelain', '--', 'libs/tensor', 'bench/suites', 'bench/run.ts'],
      {
        encoding: 'utf8',
      },
    );
    return dirty.trim().length > 0 ? `${head}+dirty` : head;
  } catch {
    return null;
  }
}

function printTable(rows: readonly Row[]): void {
  const header = ['suite', 'backend', 'case', 'value', 'unit', 'median ms', 'min ms', 'iters'];
  const body = rows.map((r) => [
    r.suite,
    r.backend,
    r.case,
    r.value >= 100 ? r.value.toFixed(0) : r.value.toFixed(2),
    r.unit,
    r.medianMs.toFixed(2),
    r.minMs.toFixed(2),
    String(r.iterations),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  body.forEach((row) => console.log(line(row)));
}

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        suite: { type: 'string', multiple: true },
        backend: { type: 'string', multiple: true },
        out: { type: 'string' },
        list: { type: 'boolean', default: false },
        quick: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function main(): Promise<number> {
  const { values } = parseCommandLine();
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.list) {
    BENCH_SUITES.forEach((s) => console.log(`${s.name.padEnd(12)} ${s.description}`));
    return 0;
  }

  const suiteFilter = splitList(values.suite);
  const backendFilter = splitList(values.backend);
  const unknownSuites = suiteFilter?.filter((name) => !BENCH_SUITES.some((s) => s.name === name)) ?? [];
  const unknownBackends =
    backendFilter?.filter((b) => !(ALL_BACKENDS as readonly string[]).includes(b)) ?? [];
  if (unknownSuites.length > 0 || unknownBackends.length > 0) {
    throw new UsageError(
      `unknown ${[...unknownSuites.map((s) => `suite '${s}'`), ...unknownBackends.map((b) => `backend '${b}'`)].join(', ')}` +
        ` (suites: ${BENCH_SUITES.map((s) => s.name).join(', ')}; backends: ${ALL_BACKENDS.join(', ')})`,
    );
  }
  const suites = BENCH_SUITES.filter((s) => suiteFilter === undefined || suiteFilter.includes(s.name));
  const backends = ALL_BACKENDS.filter((b) => backendFilter === undefined || backendFilter.includes(b));
  const filtered = suiteFilter !== undefined || backendFilter !== undefined;
  const out = path.resolve(
    values.out ?? path.join(RESULTS_DIR, filtered ? 'filtered.tmp.json' : 'latest.json'),
  );

  const started = Date.now();
  // Other processes on a 2-core VM skew timings; record the load so noisy runs can be recognised.
  const loadAtStart = os.loadavg()[0];
  const rows: Row[] = [];
  const backendInfo: TensorBackendInfo[] = [];
  const skipped: Array<{ backend: TensorBackendKind; reason: string }> = [];
  for (const kind of backends) {
    let info: TensorBackendInfo;
    try {
      info = await initTensorBackend(kind);
    } catch (error) {
      if (!(error instanceof TensorBackendUnavailableError)) throw error;
      skipped.push({ backend: kind, reason: error.message });
      console.log(`skip ${kind}: ${error.message}`);
      continue;
    }
    backendInfo.push(info);
    for (const suite of suites) {
      if (suite.backends !== undefined && !suite.backends.includes(kind)) continue;
      const t0 = Date.now();
      const results = await suite.run({
        backend: info,
        rng: new SeededRng('bench').fork(suite.name),
        quick: values.quick,
      });
      rows.push(...results.map((r) => ({ suite: suite.name, backend: kind, ...r })));
      console.log(`ran ${suite.name} on ${kind} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  }

  const summaries = suites.map((s) => s.summary?.() ?? '').filter((line) => line.length > 0);
  const cpus = os.cpus();
  const report = {
    timestamp: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    gitCommit: gitCommit(),
    filters: { suites: suiteFilter ?? null, backends: backendFilter ?? null, quick: values.quick },
    machine: {
      cpuModel: cpus[0]?.model ?? 'unknown',
      logicalCpus: cpus.length,
      availableParallelism: os.availableParallelism(),
      totalMemoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
      platform: os.platform(),
      arch: os.arch(),
      release: os.release(),
      loadAverage1mAtStart: Number(loadAtStart.toFixed(2)),
      loadAverage1mAtEnd: Number(os.loadavg()[0].toFixed(2)),
    },
    node: process.version,
    tfjsCore: tf.version_core,
    backends: backendInfo,
    skippedBackends: skipped,
    results: rows,
    summaries,
  };
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log('');
  printTable(rows);
  console.log(
    `\n${rows.length} results in ${report.durationSeconds.toFixed(1)} s → ${path.relative(process.cwd(), out)}`,
  );
  // Verdict lines (measured vs target) come last so a reader of the log sees them first.
  summaries.forEach((line) => console.log(line));
  return 0;
}

runMain(main, USAGE);
