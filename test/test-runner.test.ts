import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { DEFAULT_FILE_TIMEOUT_MS, fileTimeoutMs, nodeTestArgs } from '../scripts/test-runner-args';

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
