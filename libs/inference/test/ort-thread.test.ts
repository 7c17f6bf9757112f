import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

// In a child process: the failure this guards against aborts the process (SIGABRT), which would take the test
// runner down with it instead of failing one test.
test('closing the engine while prior passes run lets them finish natively instead of aborting the process', () => {
  const fixture = path.join(__dirname, 'fixtures', 'close-during-run.ts');
  const child = spawnSync(process.execPath, ['--require', '@swc-node/register', fixture, '8'], {
    cwd: path.join(__dirname, '..', '..', '..'),
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(child.signal, null, `the process was killed by ${child.signal}: ${child.stderr}`);
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /survived/);
});
