import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@maskgen/config';
import {
  JobName,
  TRAIN_STAGE_JOB,
  MODEL_STAGE_INPUTS,
  readModelProgress,
  type ModelStageName,
  type TrainStagePayload,
} from '@maskgen/contracts';
import {
  CheckpointCorruptError,
  DatasetRepository,
  ModelRepository,
  type ModelStage,
} from '@maskgen/persistence';
import {
  PipelineCheckpointError,
  calibrateCriticStage,
  trainClassifierStage,
  trainPriorStage,
  trainStage1Stage,
  type PreparedDataset,
  type StageContext,
  type StageOptions,
  type StageResult,
} from '@maskgen/pipeline';
import { OnJob, ProgressPublisher, type JobContext } from '@maskgen/queues';
import { ModelLifecycle, type StageAttempt, type StageFailure, type TrainedStage } from '@maskgen/runs';
import { loadPreparedDataset } from '../models/prepared-dataset';

export interface StageOutcome {
  stage: ModelStageName;
  outcome: 'stored' | 'skipped' | 'cancelled';
  metrics?: Record<string, number>;
}

type StageInputs = Partial<Record<ModelStage, Uint8Array>>;

/** How each stage runs, given the checkpoints of its inputs (MODEL_STAGE_INPUTS, the training DAG). */
const STAGES: Record<
  ModelStageName,
  {
    run(
      data: PreparedDataset,
      inputs: StageInputs,
      options: StageOptions,
      ctx: StageContext,
    ): Promise<StageResult>;
  }
> = {
  stage1: { run: (data, _inputs, options, ctx) => trainStage1Stage(data, {}, options, ctx) },
  prior: {
    run: (data, inputs, options, ctx) => trainPriorStage(data, { stage1: inputs.stage1! }, options, ctx),
  },
  critic: {
    run: (data, inputs, options, ctx) =>
      calibrateCriticStage(data, { stage1: inputs.stage1!, prior: inputs.prior! }, options, ctx),
  },
  classifier: {
    run: (data, _inputs, options, ctx) => trainClassifierStage(data, {}, options, ctx),
  },
};

/** The stage each training job trains (TRAIN_STAGE_JOB turned around). */
const STAGE_OF_JOB = new Map<JobName, ModelStageName>(
  (Object.entries(TRAIN_STAGE_JOB) as [ModelStageName, JobName][]).map(([stage, job]) => [job, stage]),
);

/** Beyond judgeFailure's permanent errors: checkpoints that will not load again. */
function isCheckpointError(error: unknown): boolean {
  return error instanceof PipelineCheckpointError || error instanceof CheckpointCorruptError;
}

/** What a stage's end is logged as here (a failure is logged by the processor). */
const FAILURE_LOGS: Partial<Record<StageFailure['kind'], { level: 'info' | 'warn'; message: string }>> = {
  // Another worker runs this stage now and records its outcome.
  'lock-lost': { level: 'warn', message: 'training stage stopped: lock lost' },
  // The state was saved at the step boundary; the processor hands the job back to the queue.
  shutdown: {
    level: 'info',
    message: 'training stage interrupted by shutdown; it resumes from its checkpoint',
  },
  cancelled: { level: 'info', message: 'training stage stopped: model cancelled' },
};

/**
 * The four jobs of a model's training flow (TRAINING_FLOW: the classifier trains beside stage 1 and the prior). Each
 * loads what its input stages stored, trains with the model's profile and seed, writes its own entry of the progress
 * and stores its checkpoint; the last one stored makes the model ready. A cancel or a failure (model status) aborts
 * the stages running and those not started yet do nothing. ModelLifecycle decides all of that; these train.
 */
@Injectable()
export class TrainHandlers {
  constructor(
    private readonly models: ModelRepository,
    private readonly lifecycle: ModelLifecycle,
    private readonly datasets: DatasetRepository,
    private readonly events: ProgressPublisher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @OnJob(JobName.TrainStage1, JobName.TrainPrior, JobName.TrainCritic, JobName.TrainClassifier)
  trainStage(payload: TrainStagePayload, context: JobContext) {
    const stage = STAGE_OF_JOB.get(context.job);
    if (!stage) throw new Error(`"${context.job}" is not a training stage's job`);
    return this.runStage(stage, payload, context);
  }

  /** Trains the stage if the lifecycle lets it start, and reports how it ended (the lifecycle records it). */
  private async runStage(
    stage: ModelStageName,
    payload: TrainStagePayload,
    context: JobContext,
  ): Promise<StageOutcome> {
    const start = await this.lifecycle.beginStage({ modelId: payload.modelId, stage });
    if (!start.train) {
      context.logger.info({ stage, status: start.status }, 'model no longer trains; stage skipped');
      return { stage, outcome: 'skipped' };
    }
    const { attempt } = start;
    await this.publish(attempt.modelId);
    if (attempt.resumeFrom) {
      context.logger.info(
        { stage, step: attempt.resumeFrom.step },
        'training stage resumed from its checkpoint',
      );
    }
    try {
      const result = await this.train(attempt, context);
      const completion = await this.lifecycle.completeStage(attempt, result);
      context.logger.info({ stage, completion, metrics: result.metrics }, 'training stage finished');
      await this.publish(attempt.modelId);
      return { stage, outcome: completion === 'stopped' ? 'cancelled' : 'stored', metrics: result.metrics };
    } catch (error) {
      const failure = await this.lifecycle.stageFailed(attempt, error, context, isCheckpointError);
      const log = FAILURE_LOGS[failure.kind];
      if (log) context.logger[log.level]({ stage }, log.message);
      if (failure.recorded) await this.publish(attempt.modelId);
      if (failure.kind === 'cancelled') return { stage, outcome: 'cancelled' };
      throw failure.rethrow;
    }
  }

  /** Publishes the model as stored (an events subscriber sees what GET /models/:id would return). */
  private async publish(modelId: string): Promise<void> {
    const model = await this.models.findById(modelId);
    if (!model) return;
    await this.events.model(model.teamId, {
      id: model.id,
      status: model.status,
      progress: readModelProgress(model.progress),
      metrics: model.metrics,
      error: model.error,
    });
  }

  private async train(attempt: StageAttempt, context: JobContext): Promise<TrainedStage> {
    const { model, stage } = attempt;
    const data = await loadPreparedDataset(this.datasets, model.datasetId);
    const stored = await this.models.loadCheckpoints(model.id, [...MODEL_STAGE_INPUTS[stage]]);
    const inputs: StageInputs = Object.fromEntries(
      stored.map((checkpoint) => [checkpoint.stage, checkpoint.bytes]),
    );
    const result = await STAGES[stage].run(
      data,
      inputs,
      { profile: model.profile, seed: model.seed },
      {
        signal: context.signal,
        threads: this.config.training.threads,
        onProgress: async (step) => {
          if (await this.lifecycle.stageStepped(attempt, step.step, step.totalSteps, step.loss)) {
            await this.publish(model.id);
          }
          await context.reportProgress(step.totalSteps > 0 ? step.step / step.totalSteps : 0);
        },
        checkpoints: {
          // Defaults: CHECKPOINT_DEFAULTS (50 steps or 60 s) and at an abort's step boundary.
          resumeFrom: attempt.resumeFrom?.bytes,
          save: ({ step, bytes }) => this.lifecycle.saveStageState(attempt, context, step, bytes),
        },
      },
    );
    return stage === 'stage1'
      ? {
          ...result,
          hyperparameters: {
            length: data.length,
            outputLength: data.outputLength,
            classes: data.classNames.length,
          },
        }
      : result;
  }
}
