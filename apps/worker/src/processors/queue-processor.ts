import { Inject } from '@nestjs/common';
import { WorkerHost } from '@nestjs/bullmq';
import { JOB_QUEUE, isJobName, parseJobPayload, type QueueName } from '@maskgen/contracts';
import { ROOT_LOGGER } from '@maskgen/observability';
import { RunRepository } from '@maskgen/persistence';
import { JobHandlerRegistry, type JobContext } from '@maskgen/queues';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';

const CANCELLATION_POLL_MS = 1000;

/**
 * Shared body of every queue's processor: checks the job belongs here,
 * validates its payload, and hands it to the registered handler with a
 * logger that names the queue, job and run.
 */
export abstract class QueueProcessor extends WorkerHost {
  protected abstract readonly queue: QueueName;

  @Inject(JobHandlerRegistry) private readonly registry!: JobHandlerRegistry;
  @Inject(ROOT_LOGGER) private readonly rootLogger!: Logger;
  @Inject(RunRepository) private readonly runs!: RunRepository;

  async process(job: Job): Promise<unknown> {
    const jobId = job.id ?? 'unknown';
    if (!isJobName(job.name) || JOB_QUEUE[job.name] !== this.queue) {
      // Retrying cannot help a job this worker does not know.
      throw new UnrecoverableError(`Unknown job "${job.name}" on queue "${this.queue}"`);
    }
    let payload: ReturnType<typeof parseJobPayload>;
    try {
      payload = parseJobPayload(job.name, job.data);
    } catch (error) {
      throw new UnrecoverableError(error instanceof Error ? error.message : String(error));
    }
    const runId = 'runId' in payload ? payload.runId : undefined;
    const logger = this.rootLogger.child({ queue: this.queue, jobId, jobName: job.name, runId });
    const cancellation = runId
      ? this.watchCancellation(runId)
      : { signal: new AbortController().signal, stop() {} };
    const context: JobContext = {
      queue: this.queue,
      jobId,
      attempt: job.attemptsMade + 1,
      isFinalAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
      signal: cancellation.signal,
      logger,
      reportProgress: (fraction) => job.updateProgress(Math.max(0, Math.min(1, fraction))),
    };
    const started = performance.now();
    logger.info({ attempt: context.attempt }, 'job started');
    try {
      const result = await this.registry.handlerFor(job.name)(payload, context);
      logger.info({ durationMs: Math.round(performance.now() - started) }, 'job completed');
      return result;
    } catch (error) {
      logger.error({ err: error, durationMs: Math.round(performance.now() - started) }, 'job failed');
      throw error;
    } finally {
      cancellation.stop();
    }
  }

  /**
   * The run's status in Postgres is the cancellation channel: whichever
   * process holds the job sees a cancel made through any API replica.
   */
  private watchCancellation(runId: string): { signal: AbortSignal; stop(): void } {
    const controller = new AbortController();
    const timer = setInterval(() => {
      this.runs.status(runId).then(
        (status) => {
          if (status === 'cancelled') controller.abort(new Error(`run ${runId} was cancelled`));
        },
        () => undefined,
      );
    }, CANCELLATION_POLL_MS);
    timer.unref();
    return { signal: controller.signal, stop: () => clearInterval(timer) };
  }
}
