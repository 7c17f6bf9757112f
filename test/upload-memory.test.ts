/**
 * Issue 21: four concurrent 100 MB uploads took the API to 902 MB RSS, since multer kept each file in memory and
 * the parser decoded it whole. Uploads now go to disk, are parsed line by line, and at most UPLOAD_MAX_CONCURRENT
 * are received at once (more get 503 with Retry-After). The API runs as its own process here, so its peak RSS
 * (VmHWM) measures the uploads alone.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, openAsBlob } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, uniqueSuffix, waitFor, type TestDatabase } from './support/services';
import { createMigratedDatabase } from './support/worker-app';
import { tsEntryArgs } from './support/ts-entry';

const ROOT = path.resolve(__dirname, '..');
const MIB = 1024 * 1024;
const UPLOADS = 4;
/** Rows of 500 values of 8 characters: about 40 MiB. */
const TRAIN_ROWS = 9000;
const LENGTH = 500;

/** kB figures of /proc/<pid>/status, e.g. VmRSS (now) and VmHWM (peak). */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

async function writeTsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  for (let row = 0; row < rows; row++) {
    const values = Array.from({ length: LENGTH }, (_, t) =>
      Math.sin(t * 0.05 + row)
        .toFixed(6)
        .padStart(9),
    );
    if (!out.write(`${(row % 2) + 1}\t${values.join('\t')}\n`)) {
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

describe('uploads are bounded in memory', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  let db: TestDatabase;
  let dir: string;
  let api: ChildProcess;
  let base: string;
  let key: string;
  let output = '';

  before(async () => {
    db = await createMigratedDatabase('upload_memory');
    dir = await mkdtemp(path.join(os.tmpdir(), 'mg-upload-'));
    await writeTsv(path.join(dir, 'big_TRAIN.tsv'), TRAIN_ROWS);
    await writeTsv(path.join(dir, 'big_TEST.tsv'), 20);
    const port = await freePort();
    const adminKey = `admin-${uniqueSuffix()}-0123456789abcdef`;
    api = spawn(process.execPath, tsEntryArgs('apps/api/src/main.ts'), {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: db.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        ADMIN_API_KEY: adminKey,
        QUEUE_PREFIX: `upload-${uniqueSuffix()}`,
        UPLOAD_MAX_BYTES: String(100 * MIB),
        UPLOAD_MAX_CONCURRENT: '2',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    api.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    api.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    base = `http://127.0.0.1:${port}`;
    await waitFor(
      'the API to answer',
      async () => {
        if (api.exitCode !== null) throw new Error(`the API exited:\n${output}`);
        return fetch(`${base}/health/ready`).then(
          (response) => (response.ok ? true : undefined),
          () => undefined,
        );
      },
      45_000,
      100,
    );
    const admin = async (route: string, body: unknown) => {
      const response = await fetch(`${base}${route}`, {
        method: 'POST',
        headers: { 'x-api-key': adminKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      assert.ok(response.ok, `${route}: ${response.status} ${text}`);
      return JSON.parse(text) as Record<string, string>;
    };
    const team = await admin('/admin/teams', { name: 'uploads' });
    key = (await admin(`/admin/teams/${team.id}/api-keys`, { name: 'test' })).key;
  });

  after(async () => {
    if (api && api.exitCode === null) {
      api.kill('SIGKILL');
      await new Promise((resolve) => api.once('exit', resolve));
    }
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function upload(name: string): Promise<{ status: number; retryAfter: string | null; body: string }> {
    const form = new FormData();
    form.set('name', name);
    form.set('train', await openAsBlob(path.join(dir, 'big_TRAIN.tsv')), 'big_TRAIN.tsv');
    form.set('test', await openAsBlob(path.join(dir, 'big_TEST.tsv')), 'big_TEST.tsv');
    const response = await fetch(`${base}/datasets/upload`, {
      method: 'POST',
      headers: { 'x-api-key': key },
      body: form,
    });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: await response.text(),
    };
  }

  test(`${UPLOADS} concurrent ~40 MiB uploads: at most 2 are taken, peak RSS grows far less than their size`, async () => {
    const pid = api.pid;
    assert.ok(pid);
    const before = await memoryOf(pid);
    const results = await Promise.all(Array.from({ length: UPLOADS }, (_, i) => upload(`big-${i}`)));
    const afterUploads = await memoryOf(pid);
    const statuses = results.map((result) => result.status).sort();
    const taken = results.filter((result) => result.status === 201);
    const refused = results.filter((result) => result.status === 503);
    assert.ok(taken.length >= 1 && taken.length <= 2, `statuses ${statuses.join(' ')}: ${results[0]?.body}`);
    assert.equal(taken.length + refused.length, UPLOADS, `statuses ${statuses.join(' ')}`);
    assert.ok(
      refused.every((result) => result.retryAfter !== null && /UPLOAD_MAX_CONCURRENT/.test(result.body)),
    );
    const created = JSON.parse(taken[0]?.body ?? '{}') as { trainCount?: number; seriesLength?: number };
    assert.equal(created.trainCount, TRAIN_ROWS);
    assert.equal(created.seriesLength, LENGTH);

    // Two 40 MiB files in memory at once were 80 MiB of bytes, as much again as text, and their values twice
    // as number arrays: the old code grew by far more than this for four uploads.
    const growth = (afterUploads.peak - before.rss) / MIB;
    process.stdout.write(
      `# RSS before ${(before.rss / MIB).toFixed(0)} MiB, peak ${(afterUploads.peak / MIB).toFixed(0)} MiB, ` +
        `after ${(afterUploads.rss / MIB).toFixed(0)} MiB (statuses ${statuses.join(' ')})\n`,
    );
    assert.ok(growth < 300, `peak RSS grew by ${growth.toFixed(0)} MiB`);

    // A refused upload succeeds once a slot is free.
    const retried = await upload('big-retried');
    assert.equal(retried.status, 201, retried.body);
  });
});
