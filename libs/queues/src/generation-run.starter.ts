import { randomInt } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JobName, type GenerationRunTemplate, type Sampler } from '@maskgen/contracts';
import {
  DatasetRepository,
  ModelRepository,
  RunRepository,
  type RunEntity,
  type ShardEntity,
} from '@maskgen/persistence';
import { ProgressPublisher } from './events/progress-publisher';
import { JobQueueRepository, type FlowNode } from './job-queue.repository';
import { QueueUnavailableError } from './queue-unavailable';
import { planShards, shardPriority } from './shard-plan';

/** A run template that cannot start: its model is missing (or another team's), or not ready. */
export class RunTemplateError extends Error {
  constructor(
    readonly reason: 'model-not-found' | 'model-not-ready',
    message: string,
  ) {
    super(message);
    this.name = 'RunTemplateError';
  }
}

/** Job id of one job of a run's flow; `attemptTag` tells the flows of a run apart (see enqueue). */
function flowJobId(runId: string, job: 'finalize' | 'evaluate' | `shard-${number}`, attemptTag: string) {
  return `${runId}-${job}-${attemptTag}`;
}

/** Starts generation runs: plans shards, stores the run, enqueues the shard flow. Used by the API and schedules. */
@Injectable()
export class GenerationRunStarter {
  constructor(
    private readonly runs: RunRepository,
    private readonly models: ModelRepository,
    private readonly datasets: DatasetRepository,
    private readonly jobs: JobQueueRepository,
    private readonly progress: ProgressPublisher,
  ) {}

  /** The job at the root of a run's flow (what the reconciler checks is still live). */
  rootJob(run: Pick<RunEntity, 'id' | 'params'>, attemptTag: string): { name: JobName; jobId: string } {
    return (run.params.sampler as Sampler).kind === 'model'
      ? { name: JobName.EvaluateGeneratedRun, jobId: flowJobId(run.id, 'evaluate', attemptTag) }
      : { name: JobName.FinalizeGenerateRun, jobId: flowJobId(run.id, 'finalize', attemptTag) };
  }

  async start(
    teamId: string,
    template: GenerationRunTemplate,
    origin: Record<string, unknown> = {},
  ): Promise<RunEntity> {
    const model = await this.modelOf(teamId, template.sampler);
    const seed = template.seed ?? randomInt(0, 2 ** 32 - 1);
    const shards = planShards(template.numSamples, template.shardSize, seed);
    const run = await this.runs.createWithShards(
      {
        teamId,
        kind: 'generate',
        modelId: model?.id ?? null,
        params: {
          sampler: { ...template.sampler },
          numSamples: template.numSamples,
          shardSize: template.shardSize,
          priority: template.priority,
          ...(model ? { seriesLength: model.seriesLength, datasetId: model.datasetId } : {}),
          ...origin,
        },
        seed,
      },
      shards,
    );
    try {
      await this.enqueue(run, shards, template.priority, 'a');
    } catch (error) {
      // Queue unreachable: nothing was enqueued, so take the run back; the caller answers 503 and a retry
      // starts afresh (the reconciler would otherwise run it later, behind the caller's back).
      if (error instanceof QueueUnavailableError) await this.runs.deleteRuns([run.id]);
      throw error;
    }
    await this.progress.publishRun(run);
    return run;
  }

  /** Throws QueueUnavailableError unless the queue answers now: checked before changing a run that must be enqueued. */
  assertQueueReachable(): Promise<void> {
    return this.jobs.ping();
  }

  /**
   * Enqueues (again) the given shards of a run and its finalising job; `attemptTag` keeps job ids unique.
   * Runs of a model sampler end with an evaluation job on the evaluate queue, which settles them.
   */
  async enqueue(
    run: Pick<RunEntity, 'id' | 'params'>,
    shards: Pick<ShardEntity, 'shardIndex' | 'sampleOffset' | 'sampleCount' | 'seed'>[],
    priority: number,
    attemptTag: string,
  ): Promise<void> {
    const sampler = run.params.sampler as Sampler;
    const evaluationFollows = sampler.kind === 'model';
    // Before the jobs exist: if adding them fails, the reconciler finds this tag with no live job.
    await this.runs.recordFlow(run.id, attemptTag);
    const finalize: FlowNode = {
      name: JobName.FinalizeGenerateRun,
      data: { runId: run.id, ...(evaluationFollows ? { evaluationFollows } : {}) },
      options: { jobId: flowJobId(run.id, 'finalize', attemptTag) },
      children: shards.map((shard) => ({
        name: JobName.GenerateShard,
        data: {
          runId: run.id,
          shardIndex: shard.shardIndex,
          sampleOffset: shard.sampleOffset,
          sampleCount: shard.sampleCount,
          seed: shard.seed,
          sampler,
        },
        options: {
          jobId: flowJobId(run.id, `shard-${shard.shardIndex}`, attemptTag),
          priority: shardPriority(shard.shardIndex, priority),
        },
      })),
    };
    await this.jobs.addFlowTree(
      evaluationFollows
        ? {
            name: JobName.EvaluateGeneratedRun,
            data: { runId: run.id },
            options: { jobId: flowJobId(run.id, 'evaluate', attemptTag) },
            children: [finalize],
          }
        : finalize,
    );
  }

  /** The ready model of the team a model sampler names, with the length of the series it generates. */
  private async modelOf(teamId: string, sampler: Sampler) {
    if (sampler.kind !== 'model') return undefined;
    const model = await this.models.findForTeam(sampler.modelId, teamId);
    if (!model) throw new RunTemplateError('model-not-found', `Model ${sampler.modelId} not found`);
    if (model.status !== 'ready') {
      throw new RunTemplateError(
        'model-not-ready',
        `Model ${sampler.modelId} is ${model.status}; only ready models can generate`,
      );
    }
    // Generated series are 2·(W − 1) long (L − 1 for odd L); stage 1 records that length.
    const outputLength = model.hyperparameters.outputLength;
    const seriesLength =
      typeof outputLength === 'number'
        ? outputLength
        : ((await this.datasets.findById(model.datasetId))?.seriesLength ?? 0);
    return { id: model.id, datasetId: model.datasetId, seriesLength };
  }
}
