import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { useTestDatabase } from './support/database';
import { freePort } from './support/services';
import { tsEntryArgs } from './support/ts-entry';

const ROOT = path.resolve(__dirname, '..');
const db = useTestDatabase('idle_exit', { migrated: true });

test('a worker with WORKER_EXIT_WHEN_IDLE_MS exits 0 once its queues stay empty (run-to-completion pods)', async () => {
  const port = await freePort();
  const started = Date.now();
  const child = spawn(process.execPath, tsEntryArgs('apps/worker/src/main.ts'), {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: db.url,
      PORT: String(port),
      WORKER_QUEUES: 'train',
      WORKER_EXIT_WHEN_IDLE_MS: '1500',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, output);
  assert.match(output, /"signal":"idle"/);
  assert.ok(Date.now() - started >= 1500);
});
