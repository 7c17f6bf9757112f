import { Inject, Injectable } from '@nestjs/common';
import { ROOT_LOGGER } from '@maskgen/observability';
import { RunRepository, type RunEntity } from '@maskgen/persistence';
import type { Logger } from 'pino';
import type { AppEventData } from './app-event';
import { EventBus } from './event-bus';

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);
/** Runs whose last published state is remembered, so unchanged states are not sent again. */
const REMEMBERED_RUNS = 10_000;

/**
 * Publishes coarse progress/status changes after they were written to
 * Postgres. Never throws: a lost event must not fail the job that caused it.
 */
@Injectable()
export class ProgressPublisher {
  private readonly lastRunState = new Map<string, string>();

  constructor(
    private readonly bus: EventBus,
    private readonly runs: RunRepository,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** Reads the run as stored and publishes it if its status or progress changed since the last call. */
  async runChanged(runId: string): Promise<void> {
    try {
      const run = await this.runs.findById(runId);
      if (run) await this.publishRun(run);
    } catch (error) {
      this.logger.warn({ err: error, runId }, 'could not publish a run event');
    }
  }

  async publishRun(run: RunEntity): Promise<void> {
    const state = `${run.status}:${run.progress}`;
    if (this.lastRunState.get(run.id) === state) return;
    if (FINISHED.has(run.status)) this.lastRunState.delete(run.id);
    else {
      if (this.lastRunState.size >= REMEMBERED_RUNS) this.lastRunState.clear();
      this.lastRunState.set(run.id, state);
    }
    await this.publish('run', run.teamId, {
      id: run.id,
      kind: run.kind,
      status: run.status,
      progress: run.progress,
      error: run.error,
      modelId: run.modelId,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
    });
  }

  /** For model training: `data` carries id, status and progress as GET /models/:id shows them. */
  async model(teamId: string, data: AppEventData): Promise<void> {
    await this.publish('model', teamId, data);
  }

  private async publish(type: 'run' | 'model', teamId: string, data: AppEventData): Promise<void> {
    try {
      await this.bus.publish({ type, teamId, data });
    } catch (error) {
      this.logger.warn({ err: error, type, id: data.id }, 'could not publish an event');
    }
  }
}
