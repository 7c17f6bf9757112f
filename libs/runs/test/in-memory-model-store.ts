import { MODEL_STAGES } from '@maskgen/contracts';
import type { ModelStage, ModelStatus, StoredTrainingState } from '@maskgen/persistence';
import type { ModelStore, StageUpdate, TrainingModel } from '../src/model-store';

interface MemoryModel extends TrainingModel {
  error: string | null;
  metrics: Record<string, unknown>;
  hyperparameters: Record<string, unknown>;
}

interface MemoryCheckpoint {
  stage: ModelStage;
  bytes: Buffer;
  partial: boolean;
  step: number | null;
}

const TRAINABLE: ModelStatus[] = ['pending', 'training'];

/**
 * ModelStore in memory with ModelRepository's semantics, each method one atomic step as its statement or
 * transaction is. The same scenarios run against both (model-lifecycle-scenarios.ts).
 */
export class InMemoryModelStore implements ModelStore {
  private readonly models = new Map<string, MemoryModel>();
  /** Checkpoints and in-training states by `model/stage`. */
  private readonly checkpoints = new Map<string, MemoryCheckpoint>();
  private nextId = 0;

  createModel(): string {
    const id = `model-${++this.nextId}`;
    this.models.set(id, {
      id,
      status: 'pending',
      progress: {},
      datasetId: 'dataset',
      profile: 'tiny',
      seed: 1,
      error: null,
      metrics: {},
      hyperparameters: {},
    });
    return id;
  }

  model(id: string): Readonly<MemoryModel> {
    return this.mustModel(id);
  }

  checkpointsOf(id: string): readonly Readonly<MemoryCheckpoint>[] {
    return MODEL_STAGES.flatMap((stage) => this.checkpoints.get(`${id}/${stage}`) ?? []);
  }

  findById(id: string): Promise<TrainingModel | null> {
    const model = this.models.get(id);
    return Promise.resolve(model ? structuredClone(model) : null);
  }

  markTraining(id: string): Promise<boolean> {
    const model = this.trainable(id);
    if (model) Object.assign(model, { status: 'training', error: null });
    return Promise.resolve(model !== undefined);
  }

  saveProgress(id: string, stage: ModelStage, progress: object, options: { afterStop?: boolean } = {}) {
    const model = options.afterStop ? this.models.get(id) : this.trainable(id);
    if (model) model.progress = mergeStageProgress(model.progress, stage, progress);
    return Promise.resolve();
  }

  completeStage(id: string, stage: ModelStage, bytes: Buffer, update: StageUpdate): Promise<boolean> {
    const model = this.trainable(id);
    if (!model) return Promise.resolve(false);
    this.checkpoints.set(`${id}/${stage}`, { stage, bytes: Buffer.from(bytes), partial: false, step: null });
    const stored = this.checkpointsOf(id).filter((checkpoint) => !checkpoint.partial).length;
    model.metrics = { ...model.metrics, ...update.metrics };
    model.progress = mergeStageProgress(model.progress, stage, update.progress);
    model.hyperparameters = { ...model.hyperparameters, ...update.hyperparameters };
    if (stored === MODEL_STAGES.length) model.status = 'ready';
    return Promise.resolve(true);
  }

  saveTrainingState(id: string, stage: ModelStage, step: number, bytes: Buffer): Promise<boolean> {
    const existing = this.checkpoints.get(`${id}/${stage}`);
    if (!this.trainable(id) || (existing && !existing.partial)) return Promise.resolve(false);
    this.checkpoints.set(`${id}/${stage}`, { stage, bytes: Buffer.from(bytes), partial: true, step });
    return Promise.resolve(true);
  }

  loadTrainingState(id: string, stage: ModelStage): Promise<StoredTrainingState | null> {
    const row = this.checkpoints.get(`${id}/${stage}`);
    return Promise.resolve(
      row?.partial && row.step !== null ? { step: row.step, bytes: Buffer.from(row.bytes) } : null,
    );
  }

  fail(id: string, message: string): Promise<void> {
    const model = this.trainable(id);
    if (model) Object.assign(model, { status: 'failed', error: message });
    return Promise.resolve();
  }

  cancel(id: string): Promise<boolean> {
    const model = this.trainable(id);
    if (model) model.status = 'cancelled';
    return Promise.resolve(model !== undefined);
  }

  private trainable(id: string): MemoryModel | undefined {
    const model = this.models.get(id);
    return model && TRAINABLE.includes(model.status) ? model : undefined;
  }

  private mustModel(id: string): MemoryModel {
    const model = this.models.get(id);
    if (!model) throw new Error(`no model ${id}`);
    return model;
  }
}

/**
 * ModelRepository's progress merge: the written document's top-level fields, and only the stage's own entry under
 * `stages`, leaving the other stages' entries as stored.
 */
function mergeStageProgress(stored: object, stage: ModelStage, written: object): Record<string, unknown> {
  const { stages: writtenStages, ...latest } = structuredClone(written) as {
    stages?: Record<string, unknown>;
  };
  const storedStages = (stored as { stages?: Record<string, unknown> }).stages ?? {};
  return { ...latest, stages: { ...storedStages, [stage]: writtenStages?.[stage] ?? null } };
}
