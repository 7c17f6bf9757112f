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
  type ModelEntity,
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
import { OnJob, ProgressPublisher, shuttingDown, type JobContext } from '@maskgen/queues';
import { judgeFailure } from '@maskgen/runs';
import { loadPreparedDataset } from '../models/prepared-dataset';
import { TrainingProgress } from '../models/training-progress';

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

/** `testAccuracy` of the classifier stage becomes `classifierTestAccuracy`; `criticRealDistance` stays. */
function stageMetrics(stage: ModelStageName, metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(metrics).map(([key, value]) => [
      key.startsWith(stage) ? key : `${stage}${key[0].toUpperCase()}${key.slice(1)}`,
      value,
    ]),
  );
}

/** The stage each training job trains (TRAIN_STAGE_JOB turned around). */
const STAGE_OF_JOB = new Map<JobName, ModelStageName>(
  (Object.entries(TRAIN_STAGE_JOB) as [ModelStageName, JobName][]).map(([stage, job]) => [job, stage]),
);

/** Beyond judgeFailure's permanent errors: checkpoints that will not load again. */
function isCheckpointError(error: unknown): boolean {
  return error instanceof PipelineCheckpointError || error instanceof CheckpointCorruptError;
}

/**
 * The four jobs of a model's training flow (TRAINING_FLOW: the classifier trains beside stage 1 and the prior). Each
 * loads what its input stages stored, trains with the model's profile and seed, writes its own entry of the progress
 * and stores its checkpoint; the last one stored makes the model ready. A cancel or a failure (model status) aborts
 * the stages running and those not started yet do nothing.
 */
@Injectable()
export class TrainHandlers {
  constructor(
    private readonly models: ModelRepository,
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

  private async runStage(
    stage: ModelStageName,
    payload: TrainStagePayload,
    context: JobContext,
  ): Promise<StageOutcome> {
    const model = await this.models.findById(payload.modelId);
    if (!model || !(await this.models.markTraining(model.id))) {
      context.logger.info(
        { stage, status: model?.status ?? 'deleted' },
        'model no longer trains; stage skipped',
      );
      return { stage, outcome: 'skipped' };
    }
    const progress = new TrainingProgress(model.progress, stage);
    // An earlier run of this stage stopped by a shutdown left a state to continue from (stage 1 and prior).
    const saved = await this.models.loadTrainingState(model.id, stage);
    await this.models.saveProgress(model.id, stage, progress.start(saved?.step));
    await this.publish(model.id);
    if (saved) context.logger.info({ stage, step: saved.step }, 'training stage resumed from its checkpoint');
    try {
      const result = await this.train(stage, model, progress, context, saved?.bytes);
      const stored = await this.models.completeStage(model.id, stage, Buffer.from(result.checkpoint), {
        metrics: stageMetrics(stage, result.metrics),
        progress: progress.finish('done'),
        hyperparameters: result.hyperparameters,
      });
      context.logger.info({ stage, stored, metrics: result.metrics }, 'training stage finished');
      await this.publish(model.id);
      return { stage, outcome: stored ? 'stored' : 'cancelled', metrics: result.metrics };
    } catch (error) {
      const verdict = judgeFailure(error, context, isCheckpointError);
      if (verdict.kind === 'lock-lost') {
        // Another worker runs this stage now and records its outcome.
        context.logger.warn({ stage }, 'training stage stopped: lock lost');
      } else if (verdict.kind === 'shutdown') {
        // The state was saved at the step boundary; the processor hands the job back to the queue.
        await this.models.saveProgress(model.id, stage, progress.snapshot());
        await this.publish(model.id);
        context.logger.info(
          { stage },
          'training stage interrupted by shutdown; it resumes from its checkpoint',
        );
      } else if (verdict.kind === 'cancelled') {
        await this.models.saveProgress(model.id, stage, progress.finish('cancelled'), { afterStop: true });
        context.logger.info({ stage }, 'training stage stopped: model cancelled');
        await this.publish(model.id);
        return { stage, outcome: 'cancelled' };
      } else if (verdict.kind === 'fail') {
        await this.models.saveProgress(model.id, stage, progress.finish('failed'));
        await this.models.fail(model.id, `${stage}: ${verdict.message}`);
        await this.publish(model.id);
      }
      throw verdict.rethrow;
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

  private async train(
    stage: ModelStageName,
    model: ModelEntity,
    progress: TrainingProgress,
    context: JobContext,
    resumeFrom: Uint8Array | undefined,
  ): Promise<StageResult & { hyperparameters?: Record<string, unknown> }> {
    const data = await loadPreparedDataset(this.datasets, model.datasetId);
    const spec = STAGES[stage];
    const stored = await this.models.loadCheckpoints(model.id, [...MODEL_STAGE_INPUTS[stage]]);
    const inputs: StageInputs = Object.fromEntries(
      stored.map((checkpoint) => [checkpoint.stage, checkpoint.bytes]),
    );
    const result = await spec.run(
      data,
      inputs,
      { profile: model.profile, seed: model.seed },
      {
        signal: context.signal,
        threads: this.config.training.threads,
        onProgress: async (step) => {
          const due = progress.step(step.step, step.totalSteps, step.loss);
          if (due) {
            await this.models.saveProgress(model.id, stage, due);
            await this.publish(model.id);
          }
          await context.reportProgress(step.totalSteps > 0 ? step.step / step.totalSteps : 0);
        },
        checkpoints: {
          // Defaults: CHECKPOINT_DEFAULTS (50 steps or 60 s) and at an abort's step boundary.
          resumeFrom,
          save: async ({ step, bytes }) => {
            // After a cancel nothing resumes; after a lost lock the job is someone else's.
            if (context.signal.aborted && !shuttingDown(context)) return;
            await this.models.saveTrainingState(model.id, stage, step, bytes);
          },
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
