import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { ROOT_LOGGER } from '@maskgen/observability';
import { ModelRepository } from '@maskgen/persistence';
import { loadPipelineModel, type PipelineModel } from '@maskgen/pipeline';
import type { Logger } from 'pino';
import { WorkerInference } from './worker-inference';
import type { InferenceEngine } from '@maskgen/inference';

/** Models kept loaded per worker process. Each holds its tensors (a few MB on the cpu profile). */
export const MODEL_CACHE_CAPACITY = Symbol('MODEL_CACHE_CAPACITY');

interface Entry {
  model: Promise<{ model: PipelineModel; modelHash: string }>;
  users: number;
  evicted: boolean;
}

export interface CachedModel {
  model: PipelineModel;
  /** SHA-256 over the model's checkpoints: which weights produced a run. */
  modelHash: string;
  /** Every acquire needs one release; an evicted model is disposed when its last user releases it. */
  release(): void;
}

/**
 * Trained models loaded once per worker and reused by every shard and evaluation job, so
 * checkpoints are not re-read from Postgres per shard. Bounded by count with least-recently-used
 * eviction; an evicted model's tensors are disposed once no job uses it any more.
 */
@Injectable()
export class ModelCache implements OnModuleDestroy {
  private readonly entries = new Map<string, Entry>();
  readonly stats = { loads: 0, hits: 0, evictions: 0 };

  constructor(
    private readonly models: ModelRepository,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    @Inject(MODEL_CACHE_CAPACITY) private readonly capacity: number,
    // The interface, not the class, so tests can hand in an engine of their choice.
    @Inject(WorkerInference) private readonly inference: { readonly engine: InferenceEngine },
  ) {}

  async acquire(modelId: string): Promise<CachedModel> {
    let entry = this.entries.get(modelId);
    if (entry) {
      this.stats.hits++;
      // Re-inserting moves the entry to the most recently used end.
      this.entries.delete(modelId);
      this.entries.set(modelId, entry);
    } else {
      entry = { model: this.load(modelId), users: 0, evicted: false };
      this.entries.set(modelId, entry);
      this.evictBeyondCapacity();
    }
    entry.users++;
    let model: PipelineModel;
    let modelHash: string;
    try {
      ({ model, modelHash } = await entry.model);
    } catch (error) {
      entry.users--;
      // A failed load is not cached: the next job tries again.
      if (this.entries.get(modelId) === entry) this.entries.delete(modelId);
      throw error;
    }
    const held = entry;
    let released = false;
    return {
      model,
      modelHash,
      release: () => {
        if (released) return;
        released = true;
        held.users--;
        if (held.evicted && held.users === 0) model.dispose();
      },
    };
  }

  /** Models currently cached, least recently used first. */
  cachedIds(): string[] {
    return [...this.entries.keys()];
  }

  onModuleDestroy(): void {
    for (const id of [...this.entries.keys()]) this.evict(id);
  }

  private async load(modelId: string): Promise<{ model: PipelineModel; modelHash: string }> {
    this.stats.loads++;
    const started = performance.now();
    const [stage1, prior, critic, classifier] = await this.models.loadCheckpoints(modelId, [
      'stage1',
      'prior',
      'critic',
      'classifier',
    ]);
    const model = loadPipelineModel(
      { stage1: stage1.bytes, prior: prior.bytes, critic: critic.bytes, classifier: classifier.bytes },
      { engine: this.inference.engine },
    );
    const hash = createHash('sha256');
    for (const checkpoint of [stage1, prior, critic, classifier]) hash.update(checkpoint.bytes);
    const modelHash = hash.digest('hex');
    this.logger.info(
      { component: 'model-cache', modelId, ms: Math.round(performance.now() - started) },
      'model loaded',
    );
    return { model, modelHash };
  }

  private evictBeyondCapacity(): void {
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.evict(oldest);
    }
  }

  private evict(modelId: string): void {
    const entry = this.entries.get(modelId);
    if (!entry) return;
    this.entries.delete(modelId);
    entry.evicted = true;
    this.stats.evictions++;
    entry.model.then(
      ({ model }) => {
        if (entry.users === 0) model.dispose();
      },
      () => undefined,
    );
  }
}
