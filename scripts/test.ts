/**
 * `npm test`: runs every test file with node's test runner against real
 * services. PostgreSQL: TEST_DATABASE_URL or DATABASE_URL if given, else an
 * embedded cluster started here for the run. Redis: REDIS_URL (default
 * redis://127.0.0.1:6379) if it answers; otherwise the Redis variants of the
 * queue tests are left out and this says so. Only the files of test/ use them
 * (needsServices): a run of libs and apps tests alone (`npm run test:unit`)
 * starts and passes on no service.
 *
 * The fault tier (FAULT_FILES: worker processes killed, databases and queues stopped) runs on its own with
 * `npm run test:faults` (`--faults`); `npm test` leaves it out, so CI runs each file once. A path filter picks
 * from every file, fault tier included: `npm test -- test/worker-crash`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
} from '../libs/persistence/src/embedded-postgres';
import { freePort, redisAnswers } from '../test/support/services';
import { NO_SERVICES_LINE, fileTimeoutMs, needsServices, nodeTestArgs } from './test-runner-args';

const ROOT = path.resolve(__dirname, '..');
const TEST_ROOTS = ['test', 'libs', 'apps'];
/**
 * Files that each take minutes (real training on real data, browser, worker processes). They start first so that,
 * two files at a time, the short ones fill in around them instead of one long file running alone at the end.
 */
const LONGEST_FIRST = [
  'libs/model/test/prior-quality.test.ts',
  'test/models.test.ts',
  'test/worker-crash.test.ts',
  'libs/model/test/ess-quality.test.ts',
  'test/dashboard.test.ts',
];

/**
 * Issue 21's fault suite: real worker (and API) processes, with workers killed or drained and PostgreSQL or Redis
 * stopped mid-run; each case ends with exactly N samples, no duplicate and no run left active.
 */
const FAULT_FILES = [
  'test/api-db-outage.test.ts',
  'test/api-queue-outage.test.ts',
  'test/run-faults.test.ts',
  'test/worker-crash.test.ts',
  'test/worker-db-faults.test.ts',
  'test/worker-lock.test.ts',
  'test/worker-shutdown.test.ts',
  'test/worker-startup.test.ts',
];

/** Files that train models on real data (minutes each): the `quality` tier. */
const QUALITY_FILES = [
  'libs/model/test/prior-quality.test.ts',
  'libs/model/test/ess-quality.test.ts',
  'test/models.test.ts',
  'test/dashboard-models.test.ts',
  'test/cli-models.test.ts',
  'test/odd-length.test.ts',
  'test/ess-worse-flag.test.ts',
  'test/dataset-minimums.test.ts',
];

/**
 * Test tiers, runnable alone (`npm run test:<tier>`): unit (libs and apps, no services, no real training), integration
 * (test/: PostgreSQL, Redis, browser), quality (model training), faults (processes and outages). `npm test` runs every
 * tier but faults, which CI runs after it (`npm run test:faults`).
 */
const TIERS = {
  unit: (rel: string) => !rel.startsWith('test/') && !QUALITY_FILES.includes(rel),
  integration: (rel: string) =>
    rel.startsWith('test/') && !QUALITY_FILES.includes(rel) && !FAULT_FILES.includes(rel),
  quality: (rel: string) => QUALITY_FILES.includes(rel),
  faults: (rel: string) => FAULT_FILES.includes(rel),
} as const;
type Tier = keyof typeof TIERS;

function longestFirst(files: string[]): string[] {
  const rank = (file: string) => {
    const i = LONGEST_FIRST.indexOf(path.relative(ROOT, file));
    return i === -1 ? LONGEST_FIRST.length : i;
  };
  return [...files].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

async function findTestFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await findTestFiles(full)));
    else if (entry.name.endsWith('.test.ts')) found.push(full);
  }
  return found;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  // --faults is kept as the short form of --tier=faults.
  const tierArg =
    args.find((arg) => arg.startsWith('--tier='))?.slice('--tier='.length) ??
    (args.includes('--faults') ? 'faults' : undefined);
  if (tierArg !== undefined && !(tierArg in TIERS)) {
    process.stderr.write(`unknown tier ${tierArg} (tiers: ${Object.keys(TIERS).join(', ')})\n`);
    return 2;
  }
  const tier = tierArg as Tier | undefined;
  let timeoutMs: number;
  try {
    timeoutMs = fileTimeoutMs(process.env.TEST_FILE_TIMEOUT_MS);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const filters = args.filter((arg) => arg !== '--faults' && !arg.startsWith('--tier='));
  let files = (await Promise.all(TEST_ROOTS.map((dir) => findTestFiles(path.join(ROOT, dir))))).flat().sort();
  const isFault = (file: string) => FAULT_FILES.includes(path.relative(ROOT, file));
  if (tier !== undefined) files = files.filter((file) => TIERS[tier](path.relative(ROOT, file)));
  else if (filters.length === 0) files = files.filter((file) => !isFault(file));
  if (filters.length > 0) files = files.filter((file) => filters.some((filter) => file.includes(filter)));
  files = longestFirst(files);
  if (files.length === 0) {
    process.stderr.write(`no test files match ${filters.join(', ')}\n`);
    return 1;
  }

  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  delete env.TEST_DATABASE_URL;
  delete env.TEST_REDIS_URL;
  let embedded: EmbeddedPostgresHandle | undefined;
  let embeddedDir: string | undefined;
  if (files.some((file) => needsServices(path.relative(ROOT, file)))) {
    let databaseUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
    if (!databaseUrl) {
      embeddedDir = await mkdtemp(path.join(os.tmpdir(), 'maskgen-test-pg-'));
      embedded = await startEmbeddedPostgres({
        dataDir: embeddedDir,
        port: await freePort(),
        database: 'maskgen_test',
      });
      databaseUrl = embedded.url;
      process.stdout.write(`# no DATABASE_URL: started an embedded PostgreSQL for this run\n`);
    }
    env.TEST_DATABASE_URL = databaseUrl;

    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    if (await redisAnswers(redisUrl)) env.TEST_REDIS_URL = redisUrl;
    else {
      process.stdout.write(
        `# Redis does not answer at ${redisUrl}: the Redis variants of the queue tests are left out\n`,
      );
    }
  } else {
    // Nothing to start, and nothing passed on: a unit test that reached for a service would fail, not use one.
    process.stdout.write(`${NO_SERVICES_LINE}\n`);
  }

  const code = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      nodeTestArgs(
        files.map((f) => path.relative(ROOT, f)),
        timeoutMs,
      ),
      { cwd: ROOT, env, stdio: 'inherit' },
    );
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  });

  await embedded?.stop();
  if (embeddedDir) await rm(embeddedDir, { recursive: true, force: true });
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`test runner failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
