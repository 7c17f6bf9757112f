import { Injectable } from '@nestjs/common';
import { generateSyntheticDataset, isSyntheticGeneratorName } from '@maskgen/data';
import { JobName, type FinalizeGenerateRunPayload, type GenerateShardPayload } from '@maskgen/contracts';
import { RunRepository, SampleRepository } from '@maskgen/persistence';
import { OnJob, type JobContext } from '@maskgen/queues';
import { UnrecoverableError } from 'bullmq';

export interface ShardResult {
  inserted: number;
  skipped: boolean;
}

/** The jobs of a generation run: one per shard, then one that settles the run. */
@Injectable()
export class GenerateRunHandlers {
  constructor(
    private readonly runs: RunRepository,
    private readonly samples: SampleRepository,
  ) {}

  @OnJob(JobName.GenerateShard)
  async generateShard(payload: GenerateShardPayload, context: JobContext): Promise<ShardResult> {
    const run = await this.runs.findById(payload.runId);
    if (!run) throw new UnrecoverableError(`Run ${payload.runId} does not exist`);
    if (!(await this.runs.markRunning(run.id))) {
      context.logger.info({ status: run.status }, 'run already finished; shard skipped');
      return { inserted: 0, skipped: true };
    }
    await this.runs.markShardRunning(payload.runId, payload.shardIndex);
    try {
      const { sampler } = payload;
      if (!isSyntheticGeneratorName(sampler.generator)) {
        throw new UnrecoverableError(`Unknown synthetic generator "${sampler.generator}"`);
      }
      const dataset = generateSyntheticDataset(sampler.generator, {
        seed: payload.seed,
        length: sampler.length,
        totalCount: payload.sampleCount,
      });
      const inserted = await this.samples.insertMany(
        dataset.values.map((values, i) => ({
          runId: payload.runId,
          shardIndex: payload.shardIndex,
          sampleIndex: payload.sampleOffset + i,
          classIndex: dataset.labels[i] ?? null,
          values,
        })),
      );
      await this.runs.finishShard(payload.runId, payload.shardIndex, 'succeeded');
      await context.reportProgress(1);
      return { inserted, skipped: false };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (context.isFinalAttempt || error instanceof UnrecoverableError) {
        await this.runs.finishShard(payload.runId, payload.shardIndex, 'failed', message);
        await this.runs.finish(payload.runId, 'failed', `shard ${payload.shardIndex}: ${message}`);
      }
      throw error;
    }
  }

  @OnJob(JobName.FinalizeGenerateRun)
  async finalizeRun(payload: FinalizeGenerateRunPayload, context: JobContext): Promise<{ samples: number }> {
    const counts = await this.runs.shardStatusCounts(payload.runId);
    const samples = await this.samples.countByRun(payload.runId);
    const unfinished = counts.queued + counts.running + counts.failed;
    if (unfinished > 0) {
      await this.runs.finish(payload.runId, 'failed', `${unfinished} shard(s) did not succeed`);
    } else {
      await this.runs.finish(payload.runId, 'succeeded');
    }
    context.logger.info({ counts, samples }, 'run settled');
    return { samples };
  }
}
