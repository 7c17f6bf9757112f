import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MODEL_STAGES,
  readModelProgress,
  type ModelProgress,
  type ModelStageName,
  type StageStatus,
} from '@maskgen/contracts';
import type { ModelStatus } from '@maskgen/persistence';
import { JobLockLostError, ModelCancelledError, WorkerShutdownError } from '@maskgen/queues';
import { abortedAttempt, liveAttempt } from './attempts';
import type { ModelLifecycle, StageAttempt, StageCompletion } from '../src/model-lifecycle';

export interface ModelSnapshot {
  status: ModelStatus;
  error: string | null;
  progress: ModelProgress;
  /** Each stage's status in the progress document. */
  stages: Record<ModelStageName, StageStatus>;
  metrics: Record<string, unknown>;
  /** Stored checkpoints and in-training states, in MODEL_STAGES order. */
  checkpoints: { stage: ModelStageName; partial: boolean; step: number | null }[];
}

/** A ModelStore to run the scenarios on: in memory (unit) or ModelRepository on PostgreSQL (test/). */
export interface ModelLifecycleHarness {
  lifecycle: ModelLifecycle;
  /** A pending model. */
  createModel: () => Promise<string>;
  inspect: (modelId: string) => Promise<ModelSnapshot>;
}

/** Reads a snapshot's stage statuses from its progress document. */
export function stageStatuses(progress: unknown): Record<ModelStageName, StageStatus> {
  const { stages } = readModelProgress(progress);
  return Object.fromEntries(MODEL_STAGES.map((stage) => [stage, stages[stage].status])) as Record<
    ModelStageName,
    StageStatus
  >;
}

async function begin(
  lifecycle: ModelLifecycle,
  modelId: string,
  stage: ModelStageName,
): Promise<StageAttempt> {
  const start = await lifecycle.beginStage({ modelId, stage });
  assert.ok(start.train, `${stage} should train`);
  return start.attempt;
}

function complete(lifecycle: ModelLifecycle, attempt: StageAttempt): Promise<StageCompletion> {
  const index = MODEL_STAGES.indexOf(attempt.stage);
  return lifecycle.completeStage(attempt, {
    checkpoint: Uint8Array.of(index, 1, 2),
    metrics: attempt.stage === 'classifier' ? { testAccuracy: 0.9 } : { loss: index },
  });
}

/** Runs one stage job start to end, as the training handler does. */
async function trainStage(lifecycle: ModelLifecycle, modelId: string, stage: ModelStageName) {
  const attempt = await begin(lifecycle, modelId, stage);
  await lifecycle.stageStepped(attempt, 1, 2, 0.5);
  return complete(lifecycle, attempt);
}

/** The model scenarios of issue 22 item 2, for any ModelStore with ModelRepository's semantics. */
/** The stage does not train: the model is `status` (or gone). */
async function assertSkipped(
  lifecycle: ModelLifecycle,
  modelId: string,
  stage: ModelStageName,
  status: ModelStatus | 'deleted',
): Promise<void> {
  assert.deepEqual(await lifecycle.beginStage({ modelId, stage }), { train: false, status });
}

export function modelLifecycleScenarios(harness: () => ModelLifecycleHarness): void {
  test('a stage of a cancelled, failed or deleted model is skipped and writes nothing', async () => {
    const { lifecycle, createModel, inspect } = harness();
    const cancelled = await createModel();
    assert.equal(await lifecycle.cancel(cancelled), true);
    assert.equal(await lifecycle.cancel(cancelled), false, 'a stopped model is not cancelled again');
    await assertSkipped(lifecycle, cancelled, 'stage1', 'cancelled');
    const snapshot = await inspect(cancelled);
    assert.equal(snapshot.status, 'cancelled');
    assert.deepEqual(Object.values(snapshot.stages), ['pending', 'pending', 'pending', 'pending']);

    const failed = await createModel();
    const stage1 = await begin(lifecycle, failed, 'stage1');
    assert.equal(
      (await lifecycle.stageFailed(stage1, new RangeError('bad data'), liveAttempt())).kind,
      'fail',
    );
    await assertSkipped(lifecycle, failed, 'classifier', 'failed');
    assert.equal((await inspect(failed)).stages.classifier, 'pending');

    const gone = '00000000-0000-4000-8000-000000000000';
    await assertSkipped(lifecycle, gone, 'prior', 'deleted');
  });

  test('the model is ready only once its fourth stage is stored, a stage stored twice counted once', async () => {
    const { lifecycle, createModel, inspect } = harness();
    const modelId = await createModel();
    assert.equal(await trainStage(lifecycle, modelId, 'stage1'), 'stored');
    // A duplicate stage 1 job (a takeover after a crash) stores it again: it replaces, and counts once.
    assert.equal(await trainStage(lifecycle, modelId, 'stage1'), 'stored');
    assert.equal(await trainStage(lifecycle, modelId, 'prior'), 'stored');
    assert.equal(await trainStage(lifecycle, modelId, 'critic'), 'stored');
    let snapshot = await inspect(modelId);
    assert.equal(snapshot.status, 'training', 'three distinct stages of four: not ready');
    assert.equal(snapshot.stages.classifier, 'pending');
    // Two attempts of the classifier complete: the first makes the model ready, the second stores nothing.
    const first = await begin(lifecycle, modelId, 'classifier');
    const second = await begin(lifecycle, modelId, 'classifier');
    assert.equal(await complete(lifecycle, first), 'ready');
    assert.equal(await complete(lifecycle, second), 'stopped');
    snapshot = await inspect(modelId);
    assert.equal(snapshot.status, 'ready');
    assert.equal(snapshot.error, null);
    assert.deepEqual(Object.values(snapshot.stages), ['done', 'done', 'done', 'done']);
    assert.deepEqual(
      snapshot.checkpoints,
      MODEL_STAGES.map((stage) => ({ stage, partial: false, step: null })),
    );
    assert.equal(snapshot.metrics.stage1Loss, 0);
    assert.equal(snapshot.metrics.classifierTestAccuracy, 0.9);
    await assertSkipped(lifecycle, modelId, 'prior', 'ready');
  });

  test('a cancel during a stage: the stage records it and saves no state; nothing more is stored', async () => {
    const { lifecycle, createModel, inspect } = harness();
    const modelId = await createModel();
    const stage1 = await begin(lifecycle, modelId, 'stage1');
    const classifier = await begin(lifecycle, modelId, 'classifier');
    assert.equal(await lifecycle.stageStepped(stage1, 1, 10, 0.7), true, 'the first step is written');
    assert.equal(await lifecycle.cancel(modelId), true);
    const stopped = abortedAttempt(new ModelCancelledError(modelId));
    // The abort's step boundary saves no state: nothing resumes after a cancel.
    await lifecycle.saveStageState(stage1, stopped, 2, Buffer.from([9]));
    const failure = await lifecycle.stageFailed(stage1, new Error('aborted'), stopped);
    assert.deepEqual(failure, { kind: 'cancelled', recorded: true });
    // The classifier finished its last step as the cancel landed: its checkpoint is not stored.
    assert.equal(await complete(lifecycle, classifier), 'stopped');
    const snapshot = await inspect(modelId);
    assert.equal(snapshot.status, 'cancelled');
    assert.equal(snapshot.stages.stage1, 'cancelled');
    assert.deepEqual(snapshot.checkpoints, []);
    await assertSkipped(lifecycle, modelId, 'prior', 'cancelled');
  });

  test('a failed stage fails the model (a retry before it records nothing); later stages skip', async () => {
    const { lifecycle, createModel, inspect } = harness();
    const modelId = await createModel();
    assert.equal(await trainStage(lifecycle, modelId, 'stage1'), 'stored');
    const classifier = await begin(lifecycle, modelId, 'classifier');
    const transient = new Error('connection reset');
    const retry = await lifecycle.stageFailed(
      await begin(lifecycle, modelId, 'prior'),
      transient,
      liveAttempt(false),
    );
    assert.deepEqual(retry, { kind: 'retry', rethrow: transient, recorded: false });
    assert.equal((await inspect(modelId)).status, 'training');
    const boom = new Error('boom');
    const failure = await lifecycle.stageFailed(
      await begin(lifecycle, modelId, 'prior'),
      boom,
      liveAttempt(true),
    );
    assert.deepEqual(failure, { kind: 'fail', message: 'boom', rethrow: boom, recorded: true });
    let snapshot = await inspect(modelId);
    assert.equal(snapshot.status, 'failed');
    assert.equal(snapshot.error, 'prior: boom');
    assert.deepEqual(snapshot.stages, {
      stage1: 'done',
      prior: 'failed',
      critic: 'pending',
      classifier: 'running',
    });
    await assertSkipped(lifecycle, modelId, 'critic', 'failed');
    assert.equal(await complete(lifecycle, classifier), 'stopped');
    snapshot = await inspect(modelId);
    assert.deepEqual(
      snapshot.checkpoints.map((checkpoint) => checkpoint.stage),
      ['stage1'],
    );
    assert.equal(snapshot.error, 'prior: boom', 'the first failure stays');
  });

  test('a shutdown keeps the model training with progress and state saved; the next attempt resumes', async () => {
    const { lifecycle, createModel, inspect } = harness();
    const modelId = await createModel();
    const attempt = await begin(lifecycle, modelId, 'stage1');
    for (let step = 1; step <= 4; step++) await lifecycle.stageStepped(attempt, step, 10, 1 / step);
    const shutdown = new WorkerShutdownError();
    const handedBack = abortedAttempt(shutdown);
    await lifecycle.saveStageState(attempt, handedBack, 4, Buffer.from([4, 4]));
    const failure = await lifecycle.stageFailed(attempt, new Error('aborted'), handedBack);
    assert.deepEqual(failure, { kind: 'shutdown', rethrow: shutdown, recorded: true });
    let snapshot = await inspect(modelId);
    assert.equal(snapshot.status, 'training');
    assert.equal(snapshot.stages.stage1, 'running');
    assert.equal(snapshot.progress.stages.stage1.step, 4, 'the progress up to the stop is saved');
    assert.deepEqual(snapshot.checkpoints, [{ stage: 'stage1', partial: true, step: 4 }]);

    const resumed = await begin(lifecycle, modelId, 'stage1');
    assert.equal(resumed.resumeFrom?.step, 4);
    assert.deepEqual([...resumed.resumeFrom.bytes], [4, 4]);
    snapshot = await inspect(modelId);
    assert.equal(snapshot.progress.stages.stage1.resumedFromStep, 4);
    assert.deepEqual(
      snapshot.progress.stages.stage1.history.map((point) => point.step),
      [1, 2, 3, 4],
    );
    assert.equal(await complete(lifecycle, resumed), 'stored');
    assert.deepEqual((await inspect(modelId)).checkpoints, [{ stage: 'stage1', partial: false, step: null }]);
  });

  test('a lost lock writes nothing: another worker owns the stage now', async () => {
    const { lifecycle, createModel, inspect } = harness();
    const modelId = await createModel();
    const attempt = await begin(lifecycle, modelId, 'prior');
    const lost = abortedAttempt(new JobLockLostError('job-a'));
    await lifecycle.saveStageState(attempt, lost, 3, Buffer.from([3]));
    const failure = await lifecycle.stageFailed(attempt, new Error('aborted'), lost);
    assert.equal(failure.kind, 'lock-lost');
    assert.equal(failure.recorded, false);
    const snapshot = await inspect(modelId);
    assert.equal(snapshot.status, 'training');
    assert.equal(snapshot.stages.prior, 'running');
    assert.deepEqual(snapshot.checkpoints, []);
  });
}
