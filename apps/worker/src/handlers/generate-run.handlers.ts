import { Injectable } from '@nestjs/common';
import { generateSyntheticDataset, isSyntheticGeneratorName } from '@maskgen/data';
import {
  JobName,
  type FinalizeGenerateRunPayload,
  type GenerateShardPayload,
  type ModelSampler,
} from '@maskgen/contracts';
import {
  EssBatchRepository,
  MetricRepository,
  RunRepository,
  SampleRepository,
  bytesToFloat32,
  isTransientDbError,
  type NewSample,
  type NewScoredSample,
} from '@maskgen/persistence';
import { OnJob, deriveShardSeed, type JobContext } from '@maskgen/queues';
import { RunLifecycle, type ShardKey, type ShardProgressShares, type ShardResult } from '@maskgen/runs';
import { codeVersion } from '@maskgen/observability';
import { UnrecoverableError } from 'bullmq';
import { ModelCache } from '../models/model-cache';
import { essBatchOf, essMetrics } from './ess-batch';

export type { ShardResult } from '@maskgen/runs';

/**
 * Samples one sampler call produces. Each
 * chunk has its own seed derived from the shard's, so a retried shard regenerates the same samples.
 * The same on every engine (ESS's t* is shared by a chunk, so the chunk is part of the result); 256 is the
 * batch ONNX Runtime samples at full speed, and tfjs splits it under its memory budget.
 */
const MODEL_CHUNK = 256;

/**
 * The share of a shard's work that is drawing its samples (the rest is storing them), measured roughly: a model
 * chunk of 256 takes seconds to sample and milliseconds to store; synthetic series take far longer to store.
 */
const SAMPLING_SHARE = { model: { sampled: 0.95 }, synthetic: { sampled: 0.1 } } as const;

class ShardCancelled extends Error {}

/** The jobs of a generation run: one per shard, then one that settles the run. */
@Injectable()
export class GenerateRunHandlers {
  constructor(
    private readonly runs: RunRepository,
    private readonly lifecycle: RunLifecycle,
    private readonly samples: SampleRepository,
    private readonly metrics: MetricRepository,
    private readonly models: ModelCache,
    private readonly essBatches: EssBatchRepository,
  ) {}

  /**
   * Samples the shard in memory, checking for a cancel between chunks, then stores it all in the transaction that
   * marks it done (RunLifecycle.completeShard): a worker killed mid-shard leaves nothing of it, and whoever takes
   * the shard over stores it once.
   */
  @OnJob(JobName.GenerateShard)
  async generateShard(payload: GenerateShardPayload, context: JobContext): Promise<ShardResult> {
    const shard = { runId: payload.runId, shardIndex: payload.shardIndex };
    const start = await this.lifecycle.beginShard(shard);
    if (!start.sample) {
      context.logger.info({ reason: start.reason }, 'shard skipped');
      return { inserted: 0, skipped: true };
    }
    try {
      const shares = SAMPLING_SHARE[payload.sampler.kind];
      let samples: (NewSample | NewScoredSample)[];
      if (payload.sampler.kind === 'model') {
        // Reports its sampling chunk by chunk.
        samples = await this.modelShard(payload, payload.sampler, context);
      } else {
        samples = this.syntheticShard(payload, payload.sampler);
        await this.reportSampled(shard, 1, shares, context);
      }
      if (context.signal.aborted) throw new ShardCancelled();
      return await this.lifecycle.completeShard(shard, samples, shares, (fraction) =>
        context.reportProgress(fraction),
      );
    } catch (error) {
      return this.lifecycle.shardFailed(shard, error, context);
    }
  }

  /** The shard's progress while it samples (`sampled`: fraction of its samples drawn), stored and announced. */
  private async reportSampled(
    shard: ShardKey,
    sampled: number,
    shares: ShardProgressShares,
    context: JobContext,
  ): Promise<void> {
    await this.lifecycle.shardSampled(shard, sampled, shares);
    await context.reportProgress(sampled * shares.sampled);
  }

  private syntheticShard(
    payload: GenerateShardPayload,
    sampler: { generator: string; length: number },
  ): NewSample[] {
    if (!isSyntheticGeneratorName(sampler.generator)) {
      throw new UnrecoverableError(`Unknown synthetic generator "${sampler.generator}"`);
    }
    // A shard past the generator's limits throws a RangeError: judgeFailure fails it for good at once.
    const dataset = generateSyntheticDataset(sampler.generator, {
      seed: payload.seed,
      length: sampler.length,
      totalCount: payload.sampleCount,
    });
    return dataset.values.map((values, i) => ({
      runId: payload.runId,
      shardIndex: payload.shardIndex,
      sampleIndex: payload.sampleOffset + i,
      classIndex: dataset.labels[i] ?? null,
      values,
    }));
  }

  /**
   * Samples with the model's naive or ESS sampler (the model is loaded once per worker, see
   * ModelCache), each sample with its per-token critic scores, chunk by chunk.
   */
  private async modelShard(
    payload: GenerateShardPayload,
    sampler: ModelSampler,
    context: JobContext,
  ): Promise<NewScoredSample[]> {
    const cached = await this.models.acquire(sampler.modelId).catch((error: unknown) => {
      // The database being away is no reason to give the model up: the job runs again later.
      if (isTransientDbError(error)) throw error;
      throw new UnrecoverableError(
        `Model ${sampler.modelId} cannot be loaded: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    try {
      const { model } = cached;
      const samples: NewScoredSample[] = [];
      for (let start = 0, chunk = 0; start < payload.sampleCount; start += MODEL_CHUNK, chunk++) {
        if (context.signal.aborted) throw new ShardCancelled();
        const count = Math.min(MODEL_CHUNK, payload.sampleCount - start);
        const firstIndex = payload.sampleOffset + start;
        const classes =
          sampler.classes === 'balanced'
            ? Int32Array.from({ length: count }, (_, i) => (firstIndex + i) % model.numClasses)
            : null;
        const result = await model.generate({
          method: sampler.method,
          count,
          classes,
          seed: deriveShardSeed(payload.seed, chunk),
          ess: sampler.ess,
          // Naive samples are scored too, so every model sample has its critic view.
          scoreNaive: true,
          signal: context.signal,
        });
        await this.runs.recordProvenance(payload.runId, result.inference, {
          modelHash: cached.modelHash,
          codeVersion: codeVersion(),
        });
        samples.push(
          ...result.series.map((values, i) => ({
            runId: payload.runId,
            shardIndex: payload.shardIndex,
            sampleIndex: firstIndex + i,
            classIndex: classes?.[i] ?? null,
            values,
            tokensLf: result.tokens.lf[i],
            tokensHf: result.tokens.hf[i],
            // The sampler's critic result, stored as it is (summary columns and per-token grids).
            critic: result.critic?.[i] ?? null,
          })),
        );
        const ess = essBatchOf(result);
        if (ess !== null) {
          await this.essBatches.record({
            runId: payload.runId,
            firstSample: firstIndex,
            shardIndex: payload.shardIndex,
            sampleCount: count,
            ...ess,
          });
        }
        await this.reportSampled(
          { runId: payload.runId, shardIndex: payload.shardIndex },
          (start + count) / payload.sampleCount,
          SAMPLING_SHARE.model,
          context,
        );
      }
      return samples;
    } finally {
      cached.release();
    }
  }

  @OnJob(JobName.FinalizeGenerateRun)
  async finalizeRun(payload: FinalizeGenerateRunPayload, context: JobContext): Promise<{ samples: number }> {
    const summary = await this.summarise(payload.runId);
    const ess = await this.essBatches.summary(payload.runId);
    await this.metrics.record(payload.runId, [
      ...essMetrics(ess),
      { name: 'samples', value: summary.count },
      { name: 'value_mean', value: summary.mean },
      { name: 'value_std', value: summary.std },
      {
        name: 'class_counts',
        value: summary.classCounts.size,
        details: Object.fromEntries(summary.classCounts),
      },
    ]);
    const { counts, status } = await this.lifecycle.settle(payload.runId, payload.evaluationFollows === true);
    context.logger.info({ counts, status, samples: summary.count }, 'run settled');
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
