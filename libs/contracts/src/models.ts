import { MODEL_STAGES, type ModelStageName } from './jobs';

export type StageStatus = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';

export interface LossPoint {
  step: number;
  loss: number;
}

export interface StageProgress {
  status: StageStatus;
  step: number;
  totalSteps: number;
  loss: number | null;
  /** Set when this run of the stage resumed an interrupted one from its in-training checkpoint at this step. */
  resumedFromStep?: number;
  /** Loss curve, thinned to at most MAX_LOSS_HISTORY points. */
  history: LossPoint[];
}

/** `models.progress` as the API returns it: the current stage, plus every stage's own state. */
export interface ModelProgress {
  stage: ModelStageName | null;
  step: number;
  totalSteps: number;
  loss: number | null;
  stages: Record<ModelStageName, StageProgress>;
}

export const MAX_LOSS_HISTORY = 200;

export function initialModelProgress(): ModelProgress {
  const pending = (): StageProgress => ({
    status: 'pending',
    step: 0,
    totalSteps: 0,
    loss: null,
    history: [],
  });
  const stages = {} as Record<ModelStageName, StageProgress>;
  for (const stage of MODEL_STAGES) stages[stage] = pending();
  return { stage: null, step: 0, totalSteps: 0, loss: null, stages };
}

/** Reads a stored progress value, filling what an older or empty row lacks. */
export function readModelProgress(stored: unknown): ModelProgress {
  const progress = initialModelProgress();
  if (!stored || typeof stored !== 'object') return progress;
  const value = stored as Partial<ModelProgress>;
  return {
    stage: value.stage ?? null,
    step: value.step ?? 0,
    totalSteps: value.totalSteps ?? 0,
    loss: value.loss ?? null,
    stages: { ...progress.stages, ...(value.stages ?? {}) },
  };
}
