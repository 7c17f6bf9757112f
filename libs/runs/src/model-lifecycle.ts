import { Inject, Injectable } from '@nestjs/common';
import type { ModelStageName } from '@maskgen/contracts';
import type { ModelStatus, StoredTrainingState } from '@maskgen/persistence';
import { shuttingDown } from '@maskgen/queues';
import { judgeFailure, isPermanentError, type Attempt, type FailureVerdict } from './failure-policy';
import { MODEL_STORE, type ModelStore, type TrainingModel } from './model-store';
import { TrainingProgress } from './training-progress';

export interface StageKey {
  modelId: string;
  stage: ModelStageName;
}

/** A stage the lifecycle let start: the model it trains, its progress in memory, and where it resumes from. */
export interface StageAttempt extends StageKey {
  model: TrainingModel;
  progress: TrainingProgress;
  /** The in-training state an earlier attempt stopped by a shutdown left (stage 1 and prior). */
  resumeFrom?: StoredTrainingState;
}

/** Whether a stage job should train, and if not the model's status (`deleted` when it is gone). */
export type StageStart =
  { train: true; attempt: StageAttempt } | { train: false; status: ModelStatus | 'deleted' };

/** What a trained stage hands over to be stored. */
export interface TrainedStage {
  checkpoint: Uint8Array;
  metrics: Record<string, number>;
  hyperparameters?: Record<string, unknown>;
}

/**
 * How a finished stage left its model: `stored` (the model trains on), `ready` (it was the last stage stored) or
 * `stopped` (the model was cancelled, failed or deleted meanwhile, or another attempt made it ready: nothing stored).
 */
export type StageCompletion = 'stored' | 'ready' | 'stopped';

/** The failure policy's verdict on a stage job's error, and whether the model's state changed (to publish). */
export type StageFailure = FailureVerdict & { recorded: boolean };

/** `testAccuracy` of the classifier stage becomes `classifierTestAccuracy`; `criticRealDistance` stays. */
export function stageMetrics(stage: ModelStageName, metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(metrics).map(([key, value]) => [
      key.startsWith(stage) ? key : `${stage}${key[0].toUpperCase()}${key.slice(1)}`,
      value,
    ]),
  );
}

/**
 * The one place that decides a model's training state: whether a stage job trains (the model may have been
 * cancelled or failed by another stage), where it resumes from, what its progress says, when the model is ready (the
 * last of its stages stored), and what a cancel, a shutdown, a lost lock or a failure records. Training handlers
 * train and report outcomes here; the queues only carry jobs. Every step is one atomic ModelStore call, so stages
 * completing at once, or one stage completing twice (a takeover), make the model ready exactly once.
 */
@Injectable()
export class ModelLifecycle {
  constructor(@Inject(MODEL_STORE) private readonly store: ModelStore) {}

  /** Opens the model for the stage (pending → training) and its progress, unless the model no longer trains. */
  async beginStage({ modelId, stage }: StageKey): Promise<StageStart> {
    const model = await this.store.findById(modelId);
    if (!model || !(await this.store.markTraining(modelId))) {
      return { train: false, status: model?.status ?? 'deleted' };
    }
    const progress = new TrainingProgress(model.progress, stage);
    const saved = await this.store.loadTrainingState(modelId, stage);
    await this.store.saveProgress(modelId, stage, progress.start(saved?.step));
    return {
      train: true,
      attempt: { modelId, stage, model, progress, ...(saved ? { resumeFrom: saved } : {}) },
    };
  }

  /** A training step: true when its progress was written (coarsely, see TrainingProgress). */
  async stageStepped(
    attempt: StageAttempt,
    step: number,
    totalSteps: number,
    loss: number,
  ): Promise<boolean> {
    const due = attempt.progress.step(step, totalSteps, loss);
    if (!due) return false;
    await this.store.saveProgress(attempt.modelId, attempt.stage, due);
    return true;
  }

  /**
   * Saves the stage's in-training state to resume from; not after a cancel (nothing resumes) nor a lost lock (the
   * job is someone else's), but at a shutdown's step boundary.
   */
  async saveStageState(attempt: StageAttempt, job: Attempt, step: number, bytes: Buffer): Promise<void> {
    if (job.signal.aborted && !shuttingDown(job)) return;
    await this.store.saveTrainingState(attempt.modelId, attempt.stage, step, bytes);
  }

  /** Stores the stage's checkpoint, metrics and progress at once; the last stage stored makes the model ready. */
  async completeStage(attempt: StageAttempt, trained: TrainedStage): Promise<StageCompletion> {
    const { modelId, stage, progress } = attempt;
    const stored = await this.store.completeStage(modelId, stage, Buffer.from(trained.checkpoint), {
      metrics: stageMetrics(stage, trained.metrics),
      progress: progress.finish('done'),
      hyperparameters: trained.hyperparameters,
    });
    if (!stored) return 'stopped';
    return (await this.store.findById(modelId))?.status === 'ready' ? 'ready' : 'stored';
  }

  /**
   * A stage job threw: records what the failure policy (judgeFailure, widened by `permanent`) says. A shutdown
   * saves the progress and leaves the model training (the job is handed back and resumes); a cancel marks the stage
   * cancelled; a failure for good marks the stage and the model failed, so the stages not started yet skip. A lost
   * lock or a retry records nothing. The caller returns for `cancelled` and throws `rethrow` otherwise.
   */
  async stageFailed(
    attempt: StageAttempt,
    error: unknown,
    job: Attempt,
    permanent: (error: unknown) => boolean = isPermanentError,
  ): Promise<StageFailure> {
    const { modelId, stage, progress } = attempt;
    const verdict = judgeFailure(error, job, permanent);
    switch (verdict.kind) {
      case 'shutdown':
        await this.store.saveProgress(modelId, stage, progress.snapshot());
        return { ...verdict, recorded: true };
      case 'cancelled':
        await this.store.saveProgress(modelId, stage, progress.finish('cancelled'), { afterStop: true });
        return { ...verdict, recorded: true };
      case 'fail':
        await this.store.saveProgress(modelId, stage, progress.finish('failed'));
        await this.store.fail(modelId, `${stage}: ${verdict.message}`);
        return { ...verdict, recorded: true };
      default:
        return { ...verdict, recorded: false };
    }
  }

  /** Stops a pending or training model (its running stages abort); false when it had stopped already. */
  cancel(modelId: string): Promise<boolean> {
    return this.store.cancel(modelId);
  }
}
