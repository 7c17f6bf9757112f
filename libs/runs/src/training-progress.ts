import {
  MAX_LOSS_HISTORY,
  readModelProgress,
  type ModelProgress,
  type ModelStageName,
  type StageStatus,
} from '@maskgen/contracts';

/** Progress is written to Postgres at most this often while a stage trains. */
export const PROGRESS_WRITE_INTERVAL_MS = 1000;

/**
 * One training stage's view of `models.progress`: keeps the document in memory, thins the loss
 * history, and tells when a write is due (coarse: at most one per PROGRESS_WRITE_INTERVAL_MS).
 */
export class TrainingProgress {
  private readonly progress: ModelProgress;
  private lastWrite = 0;

  constructor(
    stored: unknown,
    private readonly stage: ModelStageName,
    private readonly now: () => number = Date.now,
  ) {
    this.progress = readModelProgress(stored);
  }

  /**
   * The stage (re)starts: from step 0, or from `resumedFromStep`, keeping the loss curve up to that step and the
   * total, so the page shows where training really is rather than the interrupted run's last report.
   */
  start(resumedFromStep?: number): ModelProgress {
    const before = this.progress.stages[this.stage];
    const step = resumedFromStep ?? 0;
    const history = resumedFromStep === undefined ? [] : before.history.filter((p) => p.step <= step);
    const totalSteps = resumedFromStep === undefined ? 0 : before.totalSteps;
    const loss = history.at(-1)?.loss ?? null;
    this.progress.stage = this.stage;
    this.progress.step = step;
    this.progress.totalSteps = totalSteps;
    this.progress.loss = loss;
    this.progress.stages[this.stage] = {
      status: 'running',
      step,
      totalSteps,
      loss,
      history,
      ...(resumedFromStep === undefined ? {} : { resumedFromStep }),
    };
    return this.snapshot();
  }

  /** Records a step; returns the document when it should be written now, else undefined. */
  step(step: number, totalSteps: number, loss: number): ModelProgress | undefined {
    const finiteLoss = Number.isFinite(loss) ? loss : null;
    const current = this.progress.stages[this.stage];
    current.step = step;
    current.totalSteps = totalSteps;
    current.loss = finiteLoss;
    if (finiteLoss !== null) {
      current.history.push({ step, loss: finiteLoss });
      // Halve the curve's resolution when it grows too long; the latest point always stays.
      if (current.history.length > MAX_LOSS_HISTORY) {
        current.history = current.history.filter((_, i, all) => i % 2 === 0 || i === all.length - 1);
      }
    }
    this.progress.step = step;
    this.progress.totalSteps = totalSteps;
    this.progress.loss = finiteLoss;
    const now = this.now();
    if (now - this.lastWrite < PROGRESS_WRITE_INTERVAL_MS) return undefined;
    this.lastWrite = now;
    return this.snapshot();
  }

  finish(status: Exclude<StageStatus, 'pending' | 'running'>): ModelProgress {
    this.progress.stages[this.stage].status = status;
    return this.snapshot();
  }

  snapshot(): ModelProgress {
    return structuredClone(this.progress);
  }
}
