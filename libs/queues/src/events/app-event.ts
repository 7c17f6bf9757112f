/** What GET /events streams: `run` for generation runs, `model` for model training. */
export type AppEventType = 'run' | 'model';

export interface AppEventData {
  id: string;
  status: string;
  /** Runs: fraction done in [0, 1]. Models: whatever the training reports (stage, step, …). */
  progress: unknown;
  [field: string]: unknown;
}

/** A coarse progress or status change, addressed to one team. */
export interface AppEvent {
  type: AppEventType;
  teamId: string;
  data: AppEventData;
}

export function isAppEvent(value: unknown): value is AppEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Partial<AppEvent>;
  return (
    (event.type === 'run' || event.type === 'model') &&
    typeof event.teamId === 'string' &&
    typeof event.data === 'object' &&
    event.data !== null &&
    typeof event.data.id === 'string'
  );
}
