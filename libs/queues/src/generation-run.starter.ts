import { randomInt } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JobName, type GenerationRunTemplate } from '@maskgen/contracts';
import { RunRepository, type RunEntity, type ShardEntity } from '@maskgen/persistence';
import { ProgressPublisher } from './events/progress-publisher';
import { JobQueueRepository } from './job-queue.repository';
import { planShards, shardPriority } from './shard-plan';

/** Starts generation runs: plans shards, stores the run, enqueues the shard flow. Used by the API and schedules. */
@Injectable()
export class GenerationRunStarter {
  constructor(
    private readonly runs: RunRepository,
    private readonly jobs: JobQueueRepository,
    private readonly progress: ProgressPublisher,
  ) {}

  async start(
    teamId: string,
    template: GenerationRunTemplate,
    origin: Record<string, unknown> = {},
  ): Promise<RunEntity> {
    const seed = template.seed ?? randomInt(0, 2 ** 32 - 1);
    const shards = planShards(template.numSamples, template.shardSize, seed);
    const run = await this.runs.createWithShards(
      {
        teamId,
        kind: 'generate',
        params: {
          sampler: { ...template.sampler },
          numSamples: template.numSamples,
          shardSize: template.shardSize,
          priority: template.priority,
          ...origin,
        },
        seed,
      },
      shards,
    );
    await this.enqueue(run, shards, template.priority, 'a');
    await this.progress.publishRun(run);
    return run;
  }

  /** Enqueues (again) the given shards of a run and its finalising job; `attemptTag` keeps job ids unique. */
  async enqueue(
    run: RunEntity,
    shards: Pick<ShardEntity, 'shardIndex' | 'sampleOffset' | 'sampleCount' | 'seed'>[],
    priority: number,
    attemptTag: string,
  ): Promise<void> {
    const sampler = run.params.sampler as GenerationRunTemplate['sampler'];
    await this.jobs.addFlow(
      {
        name: JobName.FinalizeGenerateRun,
        data: { runId: run.id },
        options: { jobId: `${run.id}-finalize-${attemptTag}` },
      },
      shards.map((shard) => ({
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
          jobId: `${run.id}-shard-${shard.shardIndex}-${attemptTag}`,
          priority: shardPriority(shard.shardIndex, priority),
        },
      })),
    );
  }
}
