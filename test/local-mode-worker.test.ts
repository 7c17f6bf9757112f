/**
 * Local mode (`npm start`, apps/local) runs the API in its process and the worker in a child process:
 * the API stays responsive while a model trains, a killed worker child is restarted (and its work taken
 * over), and stopping local mode leaves no worker behind. The precise latency figures are measured by
 * the `local-responsiveness` benchmark; this test only bounds them loosely.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  callLocal,
  listRunsLatencyWhileTraining,
  processAlive,
  readyWithKey,
  startLocal,
  summariseLatencies,
  workerPids,
  type LocalInstance,
} from './support/local-instance';
import { freePort, waitFor } from './support/services';

/**
 * Loose on purpose (2-core CI shared with other test files): the one-process design measured p50 395 ms
 * and p99 1.9 s here while a tiny model trained, the child-process design p50 63 ms and p99 164 ms
 * (load average 14 on 2 cores).
 */
const TRAINING_P99_BOUND_MS = 1000;
const REQUESTS = 200;
/** Fewer than this many requests measured while training means the measurement says little. */
const MIN_REQUESTS_WHILE_TRAINING = 100;

describe('local mode: the worker runs in a child process', () => {
  let dataDir: string;
  let instance: LocalInstance;
  let base: string;
  let key: string;
  let datasetId: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'maskgen-local-worker-'));
    const port = await freePort();
    instance = startLocal(dataDir, port, await freePort(), {
      // A killed worker's job is taken over after about lock + 2 × stalled interval.
      WORKER_LOCK_DURATION_MS: '10000',
      WORKER_STALLED_INTERVAL_MS: '3000',
      WORKER_SHUTDOWN_TIMEOUT_MS: '10000',
    });
    ({ base, key } = await readyWithKey(port, instance, dataDir));
    const dataset = await callLocal<{ id: string }>(base, key, 'POST', '/datasets/synthetic', {
      name: 'cbf-responsive',
      generator: 'cbf',
      length: 64,
      trainPerClass: 4,
      testPerClass: 4,
      seed: 3,
    });
    datasetId = dataset.id;
  });

  after(async () => {
    if (instance.child.exitCode === null && instance.child.signalCode === null) {
      instance.child.kill('SIGKILL');
      await instance.exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  test(`GET /runs answers with p99 < ${TRAINING_P99_BOUND_MS} ms while the worker child trains a model`, async () => {
    // The worker child's progress events reach GET /events (relayed over its IPC channel; no Redis here).
    const stream = new AbortController();
    const events = await fetch(`${base}/events`, { headers: { 'x-api-key': key }, signal: stream.signal });
    assert.equal(events.status, 200);
    let received = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of events.body as AsyncIterable<Uint8Array>) {
        received += decoder.decode(chunk, { stream: true });
      }
    })().catch(() => undefined);

    const { modelId, latencies } = await listRunsLatencyWhileTraining(base, key, {
      datasetId,
      profile: 'tiny',
      count: REQUESTS,
    });
    const summary = summariseLatencies(latencies);
    process.stdout.write(`# GET /runs while training: ${JSON.stringify(summary)} load ${os.loadavg()[0]}\n`);
    assert.ok(
      summary.count >= MIN_REQUESTS_WHILE_TRAINING,
      `only ${summary.count} requests were measured while the model trained`,
    );
    assert.ok(summary.p99Ms < TRAINING_P99_BOUND_MS, `p99 ${summary.p99Ms.toFixed(0)} ms while training`);
    const model = await waitFor(
      'the model to finish training',
      async () => {
        const view = await callLocal<{ status: string; error: string | null }>(
          base,
          key,
          'GET',
          `/models/${modelId}`,
        );
        return ['ready', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
      },
      300_000,
      500,
    );
    assert.equal(model.status, 'ready', model.error ?? '');
    const modelEvents = () =>
      received
        .split('\n\n')
        .slice(0, -1) // the last piece is an event still arriving (or empty)
        .filter((block) => block.startsWith('event: model\ndata: '))
        .map(
          (block) => JSON.parse(block.slice('event: model\ndata: '.length)) as { id: string; status: string },
        )
        .filter((event) => event.id === modelId);
    await waitFor("the model's events on GET /events", () =>
      Promise.resolve(modelEvents().some((event) => event.status === 'ready') ? true : undefined),
    ).finally(() => stream.abort());
    await reading;
    assert.ok(modelEvents().some((event) => event.status === 'training'));
  });

  test('a worker child killed with SIGKILL is restarted, and a run it was working on still completes', async () => {
    const [worker] = workerPids(instance);
    assert.ok(worker !== undefined && processAlive(worker), instance.output());
    const run = await callLocal<{ id: string }>(base, key, 'POST', '/runs', {
      sampler: { kind: 'synthetic', generator: 'cbf', length: 128 },
      numSamples: 20_000,
      shardSize: 1000,
      seed: 7,
    });
    await waitFor(
      'the run to start',
      async () => {
        const view = await callLocal<{ status: string }>(base, key, 'GET', `/runs/${run.id}`);
        return view.status === 'running' ? true : undefined;
      },
      60_000,
      50,
    );
    process.kill(worker, 'SIGKILL');
    const atKill = await callLocal<{ status: string }>(base, key, 'GET', `/runs/${run.id}`);
    assert.equal(atKill.status, 'running', 'the worker was killed in the middle of the run');

    const restarted = await waitFor(
      'a new worker child',
      () => Promise.resolve(workerPids(instance).find((pid) => pid !== worker)),
      60_000,
      100,
    );
    assert.ok(processAlive(restarted));
    assert.match(instance.output(), /"signal":"SIGKILL"[^\n]*"worker process exited; restarting it"/);

    const done = await waitFor(
      'the run to finish after the restart',
      async () => {
        const view = await callLocal<{ status: string; samplesStored: number; error: string | null }>(
          base,
          key,
          'GET',
          `/runs/${run.id}`,
        );
        return ['succeeded', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
      },
      240_000,
      500,
    );
    assert.equal(done.status, 'succeeded', done.error ?? '');
    assert.equal(done.samplesStored, 20_000);
  });

  test('stopping local mode stops its worker child', async () => {
    const pids = workerPids(instance);
    instance.child.kill('SIGTERM');
    assert.equal(await instance.exited, 0, instance.output());
    for (const pid of pids) assert.equal(processAlive(pid), false, `worker child ${pid} outlived local mode`);
  });
});
