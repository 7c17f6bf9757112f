import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  callLocal,
  listRunsLatencyWhileTraining,
  readyWithKey,
  smallCbfDataset,
  startLocal,
  summariseLatencies,
  timeListRuns,
} from '../../test/support/local-instance';
import { freePort } from '../../test/support/services';
import { latencyResult } from '../latency';
import { type BenchResult, type BenchSuite } from '../types';

const REQUESTS = 500;
/** Issue 20: GET /runs answers with p99 < 100 ms while a model trains in local mode. */
const TARGET_P99_MS = 100;

let verdict = '';

/**
 * `npm start` as a user runs it (apps/local: API in the process, worker in a child), timed from outside:
 * sequential GET /runs on an idle instance, then while the worker trains a `cpu`-profile model (minutes of
 * training, so every request overlaps it). Backend-independent: it runs once, on the cpu pass.
 */
export const localResponsivenessSuite: BenchSuite = {
  name: 'local-responsiveness',
  description: 'local mode: GET /runs latency idle and while the worker child trains (p99 target < 100 ms)',
  backends: ['cpu'],
  async run(): Promise<BenchResult[]> {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'maskgen-bench-local-'));
    const port = await freePort();
    const instance = startLocal(dataDir, port, await freePort(), {
      LOG_LEVEL: 'warn',
      // The cpu-profile training is cancelled after the measurement; do not wait long for it on stop.
      WORKER_SHUTDOWN_TIMEOUT_MS: '5000',
    });
    // A benchmark stopped half way must not leave local mode (and its PostgreSQL) running.
    const killOnExit = () => instance.child.kill('SIGKILL');
    process.once('exit', killOnExit);
    try {
      const { base, key } = await readyWithKey(port, instance, dataDir);
      const datasetId = await smallCbfDataset(base, key, 'bench-cbf');
      await timeListRuns(base, key, 20); // warm-up: connections, query plans, JIT
      const idleLatencies = await timeListRuns(base, key, REQUESTS);
      const { modelId, latencies } = await listRunsLatencyWhileTraining(base, key, {
        datasetId,
        profile: 'cpu',
        count: REQUESTS,
      });
      await callLocal(base, key, 'POST', `/models/${modelId}/cancel`).catch(() => undefined);
      const idle = summariseLatencies(idleLatencies);
      const training = summariseLatencies(latencies);
      const load = os.loadavg()[0].toFixed(2);
      verdict =
        `local-responsiveness: GET /runs p99 ${training.p99Ms.toFixed(1)} ms while training ` +
        `(target < ${TARGET_P99_MS} ms: ${training.p99Ms < TARGET_P99_MS ? 'met' : 'NOT met'}), ` +
        `idle p99 ${idle.p99Ms.toFixed(1)} ms, ${training.count} requests, load ${load}`;
      return [
        latencyResult('GET /runs, idle', idle, Math.min(...idleLatencies)),
        latencyResult('GET /runs, worker child training (cpu profile)', training, Math.min(...latencies)),
      ];
    } finally {
      instance.child.kill('SIGTERM');
      await instance.exited;
      process.removeListener('exit', killOnExit);
      await rm(dataDir, { recursive: true, force: true });
    }
  },
  summary: () => verdict,
};
