import { randomInt } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JobName } from '@maskgen/contracts';
import { RunRepository, type RunEntity } from '@maskgen/persistence';
import { ProgressPublisher } from './events/progress-publisher';
import { JobQueueRepository } from './job-queue.repository';
import { QueueUnavailableError } from './queue-unavailable';

/** What an evaluation measures: the samples of a run, or a real split of a dataset, against the test split. */
export type EvaluationTarget =
  | { kind: 'run'; runId: string; datasetId: string; modelId: string }
  | { kind: 'split'; datasetId: string; split: 'train' | 'test'; modelId: string };

/** Evaluations are runs of kind 'evaluate' (one job on the evaluate queue); their metrics are stored on them. */
@Injectable()
export class EvaluationStarter {
  constructor(
    private readonly runs: RunRepository,
    private readonly jobs: JobQueueRepository,
    private readonly progress: ProgressPublisher,
  ) {}

  /** The evaluation's job in flow `flowTag` (the first flow, 'a', keeps the id evaluations always had). */
  rootJob(
    run: Pick<RunEntity, 'id'>,
    flowTag: string,
  ): { name: typeof JobName.RunEvaluation; jobId: string } {
    const jobId = flowTag === 'a' ? `${run.id}-evaluation` : `${run.id}-evaluation-${flowTag}`;
    return { name: JobName.RunEvaluation, jobId };
  }

  /** Enqueues (again, under a new `flowTag` after a recovery) the job that evaluates and settles the run. */
  async enqueue(run: Pick<RunEntity, 'id'>, flowTag: string): Promise<void> {
    const { name, jobId } = this.rootJob(run, flowTag);
    await this.jobs.add({ name, data: { runId: run.id } }, { jobId });
  }

  async start(teamId: string, target: EvaluationTarget, seed?: number): Promise<RunEntity> {
    const run = await this.runs.createWithShards(
      {
        teamId,
        kind: 'evaluate',
        modelId: target.modelId,
        params: { target },
        seed: seed ?? randomInt(0, 2 ** 32 - 1),
      },
      [],
    );
    try {
      await this.enqueue(run, 'a');
    } catch (error) {
      // Nothing was enqueued: leave nothing behind (the reconciler would run it later); the caller answers 503.
      if (error instanceof QueueUnavailableError) await this.runs.deleteRuns([run.id]);
      throw error;
    }
    await this.progress.publishRun(run);
    return run;
  }
}
