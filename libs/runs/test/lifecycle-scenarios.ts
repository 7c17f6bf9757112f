import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NewSample, RunStatus, ShardStatus } from '@maskgen/persistence';
import { JobLockLostError, RunCancelledError } from '@maskgen/queues';
import { abortedAttempt, liveAttempt } from './attempts';
import {
  MAX_RUN_RECOVERIES,
  type RunLifecycle,
  RunTransitionError,
  type ShardKey,
} from '../src/run-lifecycle';

export interface RunSnapshot {
  status: RunStatus;
  progress: number;
  shards: { shardIndex: number; status: ShardStatus; attempts: number; samplesStored: number }[];
  /** `shard/index` of every stored sample row (duplicates would show twice). */
  sampleKeys: string[];
}

/** A RunStore to run the scenarios on: in memory (unit) or RunRepository on PostgreSQL (test/). */
export interface LifecycleHarness {
  lifecycle: RunLifecycle;
  /** A queued generation run of `shards` shards of `perShard` samples each. */
  createRun: (shards: number, perShard: number) => Promise<string>;
  inspect: (runId: string) => Promise<RunSnapshot>;
}

const PER_SHARD = 10;

function samplesOf({ runId, shardIndex }: ShardKey): NewSample[] {
  return Array.from({ length: PER_SHARD }, (_, i) => ({
    runId,
    shardIndex,
    sampleIndex: shardIndex * PER_SHARD + i,
    classIndex: i % 2,
    values: Float32Array.of(shardIndex, i),
  }));
}

/** Exactly `n` sample rows, every (shard, index) once. */
function assertExactly(snapshot: RunSnapshot, n: number) {
  assert.equal(snapshot.sampleKeys.length, n);
  assert.equal(new Set(snapshot.sampleKeys).size, n, 'no duplicate (run, shard, index)');
  assert.equal(
    snapshot.shards.reduce((sum, shard) => sum + shard.samplesStored, 0),
    n,
    'shard counters match the rows',
  );
}

/** Runs one shard job start to end, as the generate handler does. */
async function runShard(lifecycle: RunLifecycle, key: ShardKey) {
  const start = await lifecycle.beginShard(key);
  assert.ok(start.sample, `shard ${key.shardIndex} should sample`);
  return lifecycle.completeShard(key, samplesOf(key));
}

/** The scenarios issue 22 names, for any RunStore with RunRepository's semantics. */
export function lifecycleScenarios(harness: () => LifecycleHarness): void {
  test('shard takeover after a crash: stored once, the dead attempt changes nothing', async () => {
    const { lifecycle, createRun, inspect } = harness();
    const runId = await createRun(3, PER_SHARD);
    const shard0 = { runId, shardIndex: 0 };
    // Worker A starts shard 0 and dies (kill -9) before completing it: nothing of the shard is stored.
    assert.deepEqual(await lifecycle.beginShard(shard0), { sample: true });
    let snapshot = await inspect(runId);
    assert.equal(snapshot.shards[0].status, 'running');
    assert.equal(snapshot.sampleKeys.length, 0);
    // Worker B takes the stalled job over and completes it.
    assert.deepEqual(await runShard(lifecycle, shard0), { inserted: PER_SHARD, skipped: false });
    // Worker A was only paused (lost its lock): its failure report rethrows and writes nothing...
    const lockLost = new JobLockLostError('job-a');
    await assert.rejects(
      lifecycle.shardFailed(shard0, new Error('aborted'), abortedAttempt(lockLost)),
      lockLost,
    );
    // ...and a late completion of its own stores nothing twice.
    assert.deepEqual(await lifecycle.completeShard(shard0, samplesOf(shard0)), {
      inserted: 0,
      skipped: true,
    });
    await runShard(lifecycle, { runId, shardIndex: 1 });
    await runShard(lifecycle, { runId, shardIndex: 2 });
    assert.equal((await lifecycle.settle(runId, false)).status, 'succeeded');
    snapshot = await inspect(runId);
    assert.equal(snapshot.status, 'succeeded');
    assert.equal(snapshot.progress, 1);
    assertExactly(snapshot, 3 * PER_SHARD);
    assert.deepEqual(
      snapshot.shards.map((shard) => [shard.status, shard.attempts]),
      [
        ['succeeded', 2],
        ['succeeded', 1],
        ['succeeded', 1],
      ],
    );
  });

  test('duplicate completion: a shard is stored and counted once, and not run again', async () => {
    const { lifecycle, createRun, inspect } = harness();
    const runId = await createRun(2, PER_SHARD);
    const shard0 = { runId, shardIndex: 0 };
    // The same shard job delivered twice and both copies running at once.
    await lifecycle.beginShard(shard0);
    await lifecycle.beginShard(shard0);
    const both = await Promise.all([
      lifecycle.completeShard(shard0, samplesOf(shard0)),
      lifecycle.completeShard(shard0, samplesOf(shard0)),
    ]);
    assert.equal(both[0].inserted + both[1].inserted, PER_SHARD);
    assert.equal(both.filter((result) => result.skipped).length, 1);
    // A third copy starting later finds the shard done and leaves it succeeded (not back to running).
    assert.deepEqual(await lifecycle.beginShard(shard0), {
      sample: false,
      reason: 'shard already succeeded',
    });
    const snapshot = await inspect(runId);
    assert.equal(snapshot.shards[0].status, 'succeeded');
    assert.equal(snapshot.progress, 0.5);
    assertExactly(snapshot, PER_SHARD);
  });

  test('shards of one run completing at once all succeed (no deadlock between their transactions)', async () => {
    const { lifecycle, createRun, inspect } = harness();
    const runId = await createRun(6, PER_SHARD);
    const keys = Array.from({ length: 6 }, (_, shardIndex) => ({ runId, shardIndex }));
    for (const key of keys) await lifecycle.beginShard(key);
    const results = await Promise.all(keys.map((key) => lifecycle.completeShard(key, samplesOf(key))));
    assert.deepEqual(
      results.map((result) => result.inserted),
      keys.map(() => PER_SHARD),
    );
    const snapshot = await inspect(runId);
    assert.equal(snapshot.progress, 1);
    assertExactly(snapshot, 6 * PER_SHARD);
  });

  test('cancel during finalize: the run stays cancelled, progress and counts show the shards', async () => {
    const { lifecycle, createRun, inspect } = harness();
    const runId = await createRun(4, PER_SHARD);
    for (const shardIndex of [0, 1, 2]) await runShard(lifecycle, { runId, shardIndex });
    // Shard 3 is sampling when the cancel comes; its job sees the signal and reports a cancel.
    const shard3 = { runId, shardIndex: 3 };
    await lifecycle.beginShard(shard3);
    await lifecycle.cancel({ id: runId, status: 'running' });
    const cancelled = await lifecycle.shardFailed(
      shard3,
      new Error('aborted'),
      abortedAttempt(new RunCancelledError(runId)),
    );
    assert.deepEqual(cancelled, { inserted: 0, skipped: true });
    // The finalising job runs after the cancel: it must not turn the run into succeeded or failed.
    const settled = await lifecycle.settle(runId, false);
    assert.equal(settled.status, 'cancelled');
    assert.deepEqual(settled.counts, { queued: 0, running: 0, succeeded: 3, failed: 0, cancelled: 1 });
    const snapshot = await inspect(runId);
    assert.equal(snapshot.status, 'cancelled');
    assert.equal(snapshot.progress, 0.75);
    assertExactly(snapshot, 3 * PER_SHARD);
    await assert.rejects(lifecycle.cancel({ id: runId, status: 'cancelled' }), RunTransitionError);
    // A finalize that finds every shard done and then a cancel: the cancel wins, progress is 1.
    const other = await createRun(2, PER_SHARD);
    for (const shardIndex of [0, 1]) await runShard(lifecycle, { runId: other, shardIndex });
    await lifecycle.cancel({ id: other, status: 'running' });
    assert.equal((await lifecycle.settle(other, false)).status, 'cancelled');
    assert.equal((await inspect(other)).progress, 1);
  });

  test('retry after a partial failure: only the failed shard runs again, exactly N rows', async () => {
    const { lifecycle, createRun, inspect } = harness();
    const runId = await createRun(4, PER_SHARD);
    await runShard(lifecycle, { runId, shardIndex: 0 });
    const shard1 = { runId, shardIndex: 1 };
    const shard3 = { runId, shardIndex: 3 };
    // Shard 3's job starts, meets a transient error and is delayed (its row stays running meanwhile).
    await lifecycle.beginShard(shard3);
    await assert.rejects(lifecycle.shardFailed(shard3, new Error('reset'), liveAttempt(false)));
    await lifecycle.beginShard(shard1);
    // A transient error with retries left changes nothing: the job runs again later.
    const transient = new Error('connection reset');
    await assert.rejects(lifecycle.shardFailed(shard1, transient, liveAttempt(false)), transient);
    assert.equal((await inspect(runId)).status, 'running');
    assert.equal((await inspect(runId)).shards[1].status, 'running');
    // Then it fails for good: the shard and its run fail.
    const boom = new Error('boom');
    await assert.rejects(lifecycle.shardFailed(shard1, boom, liveAttempt(true)), boom);
    let snapshot = await inspect(runId);
    assert.equal(snapshot.status, 'failed');
    assert.equal(snapshot.shards[1].status, 'failed');
    // Shard 2 was running in parallel and completes after the failure: it still counts (D7)...
    const shard2 = { runId, shardIndex: 2 };
    await lifecycle.completeShard(shard2, samplesOf(shard2));
    assert.equal((await inspect(runId)).progress, 2 / 4);
    // ...and shard 3's delayed job runs again, finds the run failed and settles its shard instead of sampling.
    assert.deepEqual(await lifecycle.beginShard(shard3), { sample: false, reason: 'run already failed' });
    assert.deepEqual(
      (await inspect(runId)).shards.map((shard) => shard.status),
      ['succeeded', 'failed', 'succeeded', 'failed'],
      'no shard left running or queued under the failed run',
    );
    // The retry reopens the shards that did not succeed.
    await assert.rejects(
      lifecycle.retry({ id: runId, kind: 'generate', status: 'running' }),
      RunTransitionError,
    );
    const reopened = await lifecycle.retry({ id: runId, kind: 'generate', status: 'failed' });
    assert.deepEqual(
      reopened.map((shard) => shard.shardIndex),
      [1, 3],
    );
    assert.equal((await inspect(runId)).status, 'queued');
    // A second, concurrent retry enqueues nothing twice.
    await assert.rejects(
      lifecycle.retry({ id: runId, kind: 'generate', status: 'failed' }),
      RunTransitionError,
    );
    await runShard(lifecycle, shard1);
    await runShard(lifecycle, shard3);
    assert.equal((await lifecycle.settle(runId, false)).status, 'succeeded');
    snapshot = await inspect(runId);
    assert.equal(snapshot.progress, 1);
    assertExactly(snapshot, 4 * PER_SHARD);
    assert.deepEqual(
      snapshot.shards.map((shard) => shard.attempts),
      [1, 2, 0, 2],
    );
  });

  test('a run with a shard left unfinished fails at settling; one waiting for its evaluation stays open', async () => {
    const { lifecycle, createRun, inspect } = harness();
    const runId = await createRun(2, PER_SHARD);
    await runShard(lifecycle, { runId, shardIndex: 0 });
    const settled = await lifecycle.settle(runId, false);
    assert.equal(settled.status, 'failed');
    assert.equal(settled.counts.queued, 1);
    const evaluated = await createRun(1, PER_SHARD);
    await runShard(lifecycle, { runId: evaluated, shardIndex: 0 });
    assert.equal((await lifecycle.settle(evaluated, true)).status, 'running');
    assert.ok(await lifecycle.beginEvaluation(evaluated));
    await lifecycle.evaluationSucceeded(evaluated);
    assert.equal((await inspect(evaluated)).status, 'succeeded');
  });
  progressScenarios(harness);
  recoveryScenarios(harness);
}

/** Issue 21 item 1: a run whose jobs are gone is queued again a bounded number of times, then failed. */
function recoveryScenarios(harness: () => LifecycleHarness): void {
  test('a stranded run is queued again MAX_RUN_RECOVERIES times (only its unfinished shards), then failed', async () => {
    const { lifecycle, createRun, inspect } = harness();
    const runId = await createRun(3, PER_SHARD);
    // Shard 0 stored, shard 1 running, when the run's jobs were lost.
    await runShard(lifecycle, { runId, shardIndex: 0 });
    await lifecycle.beginShard({ runId, shardIndex: 1 });
    let flowTag = 'a';
    for (let recovery = 1; recovery <= MAX_RUN_RECOVERIES; recovery++) {
      const outcome = await lifecycle.recoverStranded({ id: runId, flowTag });
      assert.ok(outcome.action === 'requeue', `recovery ${recovery}: ${outcome.action}`);
      assert.equal(outcome.flowTag, `c${recovery}`);
      assert.deepEqual(
        outcome.shards.map((shard) => shard.shardIndex),
        [1, 2],
      );
      // A pass that read the run before this recovery (its old flow tag) changes nothing.
      assert.deepEqual(await lifecycle.recoverStranded({ id: runId, flowTag }), { action: 'unchanged' });
      flowTag = outcome.flowTag;
      const snapshot = await inspect(runId);
      assert.deepEqual(
        snapshot.shards.map((shard) => shard.status),
        ['succeeded', 'queued', 'queued'],
      );
    }
    assert.deepEqual(await lifecycle.recoverStranded({ id: runId, flowTag }), { action: 'failed' });
    const snapshot = await inspect(runId);
    assert.equal(snapshot.status, 'failed');
    assert.deepEqual(
      snapshot.shards.map((shard) => shard.status),
      ['succeeded', 'failed', 'failed'],
    );
    assertExactly(snapshot, PER_SHARD);
    // A finished run is never reopened by the reconciler.
    assert.deepEqual(await lifecycle.recoverStranded({ id: runId, flowTag }), { action: 'unchanged' });
  });
}

/** Issue 20 item 8: a run moves inside a shard, while it samples and while its one transaction stores it. */
function progressScenarios(harness: () => LifecycleHarness): void {
  test('progress moves inside a shard while it samples and stores; a new attempt starts from 0', async () => {
    const { lifecycle, createRun, inspect } = harness();
    const runId = await createRun(2, PER_SHARD);
    const shard0 = { runId, shardIndex: 0 };
    const shares = { sampled: 0.5 };
    await lifecycle.beginShard(shard0);
    await lifecycle.shardSampled(shard0, 0.5, shares);
    // Half of the sampling half of one of two shards.
    assert.equal((await inspect(runId)).progress, 0.125);
    await lifecycle.shardSampled(shard0, 1, shares);
    const seenWhileStoring: number[] = [];
    const reported: number[] = [];
    await lifecycle.completeShard(shard0, samplesOf(shard0), shares, async (fraction) => {
      reported.push(fraction);
      seenWhileStoring.push((await inspect(runId)).progress);
    });
    // Every sample written, before the commit: the shard's own progress is 1 and the run's half of that.
    assert.deepEqual(reported, [1]);
    assert.deepEqual(seenWhileStoring, [0.5]);
    assert.equal((await inspect(runId)).progress, 0.5);
    // Shard 1 gets half way, its worker dies, and the next attempt restarts its progress.
    const shard1 = { runId, shardIndex: 1 };
    await lifecycle.beginShard(shard1);
    await lifecycle.shardSampled(shard1, 1, shares);
    assert.equal((await inspect(runId)).progress, 0.75);
    await lifecycle.beginShard(shard1);
    await lifecycle.shardSampled(shard1, 0.2, shares);
    assert.ok(Math.abs((await inspect(runId)).progress - 0.55) < 1e-12, 'not 0.75 + anything');
  });
}
