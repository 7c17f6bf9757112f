import { Injectable } from '@nestjs/common';
import { JobName, type EvaluateGeneratedRunPayload, type RunEvaluationPayload } from '@maskgen/contracts';
import { MetricRepository, RunRepository, type RunEntity } from '@maskgen/persistence';
import { OnJob, type EvaluationTarget, type JobContext } from '@maskgen/queues';
import { RunLifecycle } from '@maskgen/runs';
import { UnrecoverableError } from 'bullmq';
import { RunEvaluator, type MetricRow } from '../models/run-evaluator';

export interface EvaluationResult {
  outcome: 'stored' | 'skipped' | 'cancelled';
  metrics?: Record<string, number>;
}

/** Jobs of the evaluate queue: a model run's metrics after its shards, and requested evaluations. */
@Injectable()
export class EvaluateHandlers {
  constructor(
    private readonly runs: RunRepository,
    private readonly lifecycle: RunLifecycle,
    private readonly metrics: MetricRepository,
    private readonly evaluator: RunEvaluator,
  ) {}

  /** Runs after the finalising job of a model run: stores FID, IS, … on the run and settles it. */
  @OnJob(JobName.EvaluateGeneratedRun)
  async evaluateGeneratedRun(payload: EvaluateGeneratedRunPayload, context: JobContext) {
    return this.settle(payload.runId, context, async (run) => {
      if (!run.modelId) throw new UnrecoverableError('The run has no model (it was deleted)');
      const datasetId = run.params.datasetId;
      if (typeof datasetId !== 'string') throw new UnrecoverableError('The run does not name its dataset');
      return this.evaluator.evaluateRun(
        { runId: run.id, modelId: run.modelId, datasetId },
        run.seed,
        context.signal,
      );
    });
  }

  /** An evaluation (a run of kind 'evaluate'): of another run's samples, or of a real split. */
  @OnJob(JobName.RunEvaluation)
  async runEvaluation(payload: RunEvaluationPayload, context: JobContext) {
    return this.settle(payload.runId, context, async (run) => {
      const target = run.params.target as EvaluationTarget | undefined;
      if (target?.kind === 'run') return this.evaluator.evaluateRun(target, run.seed, context.signal);
      if (target?.kind === 'split') return this.evaluator.evaluateSplit(target, run.seed, context.signal);
      throw new UnrecoverableError('The evaluation names no run and no model to evaluate with');
    });
  }

  private async settle(
    runId: string,
    context: JobContext,
    evaluate: (run: RunEntity) => Promise<MetricRow[]>,
  ): Promise<EvaluationResult> {
    const run = await this.runs.findById(runId);
    if (!run) throw new UnrecoverableError(`Run ${runId} does not exist`);
    if (!(await this.lifecycle.beginEvaluation(run.id))) {
      context.logger.info({ status: run.status }, 'run already finished; evaluation skipped');
      return { outcome: 'skipped' };
    }
    try {
      const rows = await evaluate(run);
      await this.metrics.record(run.id, rows);
      await this.lifecycle.evaluationSucceeded(run.id);
      return { outcome: 'stored', metrics: Object.fromEntries(rows.map((row) => [row.name, row.value])) };
    } catch (error) {
      return { outcome: await this.lifecycle.evaluationFailed(run.id, error, context) };
    }
  }
}
