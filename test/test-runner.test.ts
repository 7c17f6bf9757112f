import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import {
  DEFAULT_FILE_TIMEOUT_MS,
  NO_SERVICES_LINE,
  fileTimeoutMs,
  needsServices,
  nodeTestArgs,
} from '../scripts/test-runner-args';
import { tsEntryArgs } from './support/ts-entry';

const ROOT = path.join(__dirname, '..');

test('npm test fails a test file that never exits within the per-file cap instead of hanging', () => {
  const file = path.relative(ROOT, path.join(__dirname, 'support', 'fixtures', 'leaks-a-handle.ts'));
  const started = Date.now();
  // Without this the nested runner would report to ours in its binary child protocol instead of as TAP.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawnSync(process.execPath, nodeTestArgs([file], 2_000), {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    // Without the cap the runner waits on the file for ever; this bound only ends the test.
    timeout: 60_000,
  });
  assert.equal(child.signal, null, 'the runner hung on the file and had to be killed');
  assert.notEqual(child.status, 0);
  assert.match(child.stdout, /timed out after 2000ms/);
  assert.ok(Date.now() - started < 60_000);
});

test('TEST_FILE_TIMEOUT_MS: unset or empty takes the default, 0 disables, anything else is refused', () => {
  assert.equal(fileTimeoutMs(undefined), DEFAULT_FILE_TIMEOUT_MS);
  assert.equal(fileTimeoutMs(' '), DEFAULT_FILE_TIMEOUT_MS);
  assert.equal(fileTimeoutMs('0'), 0);
  assert.equal(fileTimeoutMs('60000'), 60_000);
  assert.throws(() => fileTimeoutMs('1e3x'), /TEST_FILE_TIMEOUT_MS/);
  assert.throws(() => fileTimeoutMs('-1'), /TEST_FILE_TIMEOUT_MS/);
  assert.ok(!nodeTestArgs(['a.test.ts'], 0).some((arg) => arg.startsWith('--test-timeout')));
});

/** The test files under `dir` (relative to the repository root). */
function testFilesUnder(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts') && !file.split(path.sep).includes('node_modules'))
    .map((file) => path.join(dir, file));
}

test('the tests of libs/ and apps/ (the unit tier) need no service and reach for none', () => {
  const files = ['libs', 'apps'].flatMap(testFilesUnder);
  assert.ok(files.length > 10, `found ${files.length} test files`);
  for (const file of files) {
    assert.equal(needsServices(file), false, file);
    const source = readFileSync(path.join(ROOT, file), 'utf8');
    assert.doesNotMatch(source, /TEST_(DATABASE|REDIS)_URL|test\/support\//, `${file} uses a service`);
  }
  assert.ok(testFilesUnder('test').every(needsServices));
});

test('npm run test:unit starts no PostgreSQL and passes no service URL on, even without DATABASE_URL', () => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.DATABASE_URL;
  delete env.TEST_DATABASE_URL;
  const child = spawnSync(
    process.execPath,
    tsEntryArgs('scripts/test.ts', '--tier=unit', 'libs/observability/test/logger.test.ts'),
    { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(child.status, 0, child.stdout + child.stderr);
  assert.ok(child.stdout.includes(NO_SERVICES_LINE), child.stdout);
  assert.doesNotMatch(child.stdout, /embedded PostgreSQL/);
  assert.match(child.stdout, /# pass [1-9]/);
});
