import type { ModelEntity, ModelStage, StoredTrainingState } from '@maskgen/persistence';

/** Injection token of the ModelStore ModelLifecycle works on (ModelRepository in the services). */
export const MODEL_STORE = Symbol('MODEL_STORE');

/** What a training stage reads of its model: its state, and what it trains with. */
export type TrainingModel = Pick<
  ModelEntity,
  'id' | 'status' | 'progress' | 'datasetId' | 'profile' | 'seed'
>;

/** What a stored stage adds to its model besides the checkpoint. */
export interface StageUpdate {
  metrics: Record<string, unknown>;
  progress: object;
  /** Merged into the model's hyperparameters (e.g. the generated series length). */
  hyperparameters?: Record<string, unknown>;
}

/**
 * The state ModelLifecycle reads and writes: each method is one atomic step (one statement or one transaction in
 * PostgreSQL). ModelRepository implements it; the lifecycle tests use an in-memory one with the same semantics.
 */
export interface ModelStore {
  findById(id: string): Promise<TrainingModel | null>;
  /** Pending or training → training; false (and no change) when it was cancelled, failed, ready or deleted. */
  markTraining(id: string): Promise<boolean>;
  /**
   * Merges a stage's progress (its own entry under `stages`, the top-level latest report) into the model's;
   * dropped once the model stopped training, unless `afterStop` (the stage recording that it saw the stop).
   */
  saveProgress(
    id: string,
    stage: ModelStage,
    progress: object,
    options?: { afterStop?: boolean },
  ): Promise<void>;
  /**
   * Stores the stage's checkpoint (replacing an earlier one or its in-training state), merges metrics, progress and
   * hyperparameters, and makes the model ready once every stage is stored, at once. False (nothing stored) when the
   * model no longer trains.
   */
  completeStage(id: string, stage: ModelStage, bytes: Buffer, update: StageUpdate): Promise<boolean>;
  /** Stores (or replaces) an unfinished stage's in-training state while the model trains; never a finished one. */
  saveTrainingState(id: string, stage: ModelStage, step: number, bytes: Buffer): Promise<boolean>;
  /** The unfinished stage's in-training state (null when none); throws when it is corrupt. */
  loadTrainingState(id: string, stage: ModelStage): Promise<StoredTrainingState | null>;
  /** Pending or training → failed with the message; a model that stopped meanwhile is left as it is. */
  fail(id: string, message: string): Promise<void>;
  /** Pending or training → cancelled; false if it had stopped. */
  cancel(id: string): Promise<boolean>;
}
