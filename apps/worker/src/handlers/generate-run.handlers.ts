import { Injectable } from '@nestjs/common';
import { generateSyntheticDataset, isSyntheticGeneratorName } from '@maskgen/data';
import { JobName, type FinalizeGenerateRunPayload, type GenerateShardPayload } from '@maskgen/contracts';
import { MetricRepository, RunRepository, SampleRepository, bytesToFloat32 } from '@maskgen/persistence';
import { OnJob, lockLost, type JobContext } from '@maskgen/queues';
import { UnrecoverableError } from 'bullmq';

export interface ShardResult {
  inserted: number;
  skipped: boolean;
}

/** Samples are written in chunks so a cancel takes effect between them. */
const WRITE_CHUNK = 500;

/** The jobs of a generation run: one per shard, then one that settles the run. */
@Injectable()
export class GenerateRunHandlers {
  constructor(
    private readonly runs: RunRepository,
    private readonly samples: SampleRepository,
    private readonly metrics: MetricRepository,
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
      let inserted = 0;
      for (let start = 0; start < dataset.values.length; start += WRITE_CHUNK) {
        if (lockLost(context)) {
          // Another worker owns the shard now; it alone settles it.
          context.logger.warn({ inserted }, 'shard stopped: lock lost');
          throw context.signal.reason;
        }
        if (context.signal.aborted) {
          await this.runs.finishShard(payload.runId, payload.shardIndex, 'cancelled');
          context.logger.info({ inserted }, 'shard stopped: run cancelled');
          return { inserted, skipped: true };
        }
        inserted += await this.samples.insertMany(
          dataset.values.slice(start, start + WRITE_CHUNK).map((values, i) => ({
            runId: payload.runId,
            shardIndex: payload.shardIndex,
            sampleIndex: payload.sampleOffset + start + i,
            classIndex: dataset.labels[start + i] ?? null,
            values,
          })),
        );
        await context.reportProgress((start + WRITE_CHUNK) / dataset.values.length);
      }
      await this.runs.finishShard(payload.runId, payload.shardIndex, 'succeeded');
      return { inserted, skipped: false };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!lockLost(context) && (context.isFinalAttempt || error instanceof UnrecoverableError)) {
        await this.runs.finishShard(payload.runId, payload.shardIndex, 'failed', message);
        await this.runs.finish(payload.runId, 'failed', `shard ${payload.shardIndex}: ${message}`);
      }
      throw error;
    }
  }

  @OnJob(JobName.FinalizeGenerateRun)
  async finalizeRun(payload: FinalizeGenerateRunPayload, context: JobContext): Promise<{ samples: number }> {
    const counts = await this.runs.shardStatusCounts(payload.runId);
    const summary = await this.summarise(payload.runId);
    await this.metrics.record(payload.runId, [
      { name: 'samples', value: summary.count },
      { name: 'value_mean', value: summary.mean },
      { name: 'value_std', value: summary.std },
      {
        name: 'class_counts',
        value: summary.classCounts.size,
        details: Object.fromEntries(summary.classCounts),
      },
    ]);
    const unfinished = counts.queued + counts.running + counts.failed;
    if (unfinished > 0) {
      await this.runs.finish(payload.runId, 'failed', `${unfinished} shard(s) did not succeed`);
    } else {
      await this.runs.finish(payload.runId, 'succeeded');
    }
    context.logger.info({ counts, samples: summary.count }, 'run settled');
    return { samples: summary.count };
  }

  /** Count, mean and standard deviation of all stored values, and samples per class, in one pass. */
  private async summarise(runId: string) {
    let count = 0;
    let values = 0;
    let sum = 0;
    let sumSquares = 0;
    const classCounts = new Map<string, number>();
    for await (const batch of this.samples.streamByRun(runId, { fromIndex: 0 })) {
      for (const sample of batch) {
        count++;
        const key = sample.classIndex === null ? 'none' : String(sample.classIndex);
        classCounts.set(key, (classCounts.get(key) ?? 0) + 1);
        for (const value of bytesToFloat32(sample.values)) {
          values++;
          sum += value;
          sumSquares += value * value;
        }
      }
    }
    const mean = values > 0 ? sum / values : 0;
    return {
      count,
      mean,
      std: values > 0 ? Math.sqrt(Math.max(0, sumSquares / values - mean * mean)) : 0,
      classCounts,
    };
  }
}
