/**
 * Issue 22 item 2: the run lifecycle against an in-memory RunStore (no services). test/run-lifecycle.test.ts runs
 * the same scenarios against RunRepository on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UnrecoverableError } from 'bullmq';
import { JobLockLostError, RunCancelledError, WorkerShutdownError } from '@maskgen/queues';
import { judgeFailure } from '../src/failure-policy';
import { RunLifecycle } from '../src/run-lifecycle';
import { InMemoryRunStore } from './in-memory-run-store';
import { lifecycleScenarios } from './lifecycle-scenarios';

describe('run lifecycle (in-memory store)', () => {
  lifecycleScenarios(() => {
    const store = new InMemoryRunStore();
    return {
      lifecycle: new RunLifecycle(store),
      createRun: (shards, perShard) =>
        Promise.resolve(
          store.createRun(
            Array.from({ length: shards }, (_, shardIndex) => ({
              shardIndex,
              sampleOffset: shardIndex * perShard,
              sampleCount: perShard,
              seed: shardIndex,
            })),
          ),
        ),
      inspect: (runId) => {
        const run = store.run(runId);
        return Promise.resolve({
          status: run.status,
          progress: run.progress,
          shards: store.shardsOf(runId).map(({ shardIndex, status, attempts, samplesStored }) => ({
            shardIndex,
            status,
            attempts,
            samplesStored,
          })),
          sampleKeys: [...store.samples.values()]
            .filter((sample) => sample.runId === runId)
            .map((sample) => `${sample.shardIndex}/${sample.sampleIndex}`),
        });
      },
    };
  });
});

describe('the failure policy (judgeFailure)', () => {
  const attempt = (failsForGood: boolean, reason?: Error) => {
    const controller = new AbortController();
    if (reason) controller.abort(reason);
    return { signal: controller.signal, failsForGood: () => failsForGood };
  };

  test('the signal decides first: lock lost, shutdown, cancel', () => {
    const lost = new JobLockLostError('j');
    assert.deepEqual(judgeFailure(new Error('x'), attempt(true, lost)), { kind: 'lock-lost', rethrow: lost });
    const shutdown = new WorkerShutdownError();
    assert.deepEqual(judgeFailure(new Error('x'), attempt(true, shutdown)), {
      kind: 'shutdown',
      rethrow: shutdown,
    });
    assert.deepEqual(judgeFailure(new Error('x'), attempt(true, new RunCancelledError('r'))), {
      kind: 'cancelled',
    });
  });

  test('then retries left, then permanent errors fail at once as UnrecoverableError', () => {
    const transient = new Error('reset');
    assert.deepEqual(judgeFailure(transient, attempt(false)), { kind: 'retry', rethrow: transient });
    const last = judgeFailure(transient, attempt(true));
    assert.deepEqual(last, { kind: 'fail', message: 'reset', rethrow: transient });
    const range = judgeFailure(new RangeError('too long'), attempt(false));
    assert.equal(range.kind, 'fail');
    assert.ok(range.kind === 'fail' && range.rethrow instanceof UnrecoverableError);
    class CorruptCheckpoint extends Error {}
    const custom = judgeFailure(
      new CorruptCheckpoint('bad'),
      attempt(false),
      (e) => e instanceof CorruptCheckpoint,
    );
    assert.ok(custom.kind === 'fail' && custom.rethrow instanceof UnrecoverableError);
  });
});
