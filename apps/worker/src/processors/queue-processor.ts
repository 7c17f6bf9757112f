import { Inject, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { JOB_QUEUE, isJobName, parseJobPayload, type QueueName } from '@maskgen/contracts';
import { ROOT_LOGGER } from '@maskgen/observability';
import { ModelRepository, RunRepository, isTransientDbError } from '@maskgen/persistence';
import {
  JobHandlerRegistry,
  JobLockLostError,
  ModelCancelledError,
  ProgressPublisher,
  QUEUE_WORKER_OPTIONS,
  RunCancelledError,
  TRANSIENT_DB_RETRY,
  WorkerShutdownError,
  transientRetryDelayMs,
  type JobContext,
} from '@maskgen/queues';
import { DelayedError, UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Logger } from 'pino';

const CANCELLATION_POLL_MS = 1000;

/**
 * Shared body of every queue's processor: checks the job belongs here,
 * validates its payload, and hands it to the registered handler with a
 * logger that names the queue, job and run, and a signal that aborts on
 * cancellation or when the job's lock is lost. A transient database error
 * delays the job and runs it again (TRANSIENT_DB_RETRY) instead of failing it.
 */
export abstract class QueueProcessor extends WorkerHost implements OnApplicationBootstrap, OnModuleDestroy {
  protected abstract readonly queue: QueueName;

  @Inject(JobHandlerRegistry) private readonly registry!: JobHandlerRegistry;
  @Inject(ROOT_LOGGER) private readonly rootLogger!: Logger;
  @Inject(RunRepository) private readonly runs!: RunRepository;
  @Inject(ModelRepository) private readonly models!: ModelRepository;
  @Inject(ProgressPublisher) private readonly progress!: ProgressPublisher;

  /** Jobs this process is running, by id, with what aborts them when their lock is lost. */
  private readonly lockWatch = new Map<string, { controller: AbortController; logger: Logger }>();
  /** Aborts the running jobs of a queue that hands jobs back on shutdown (WorkerShutdownError). */
  private readonly shutdown = new AbortController();

  /**
   * The BullMQ worker is built with autorun off (queue-processors.ts) and starts here, after every
   * onModuleInit: a job taken earlier found no handler registered (JobHandlerRegistry) and, as a
   * flow child with one attempt, failed for good with its run (worker-startup.test.ts).
   */
  onApplicationBootstrap(): void {
    this.worker.run().catch((error: unknown) => {
      this.rootLogger.error({ err: error, queue: this.queue }, 'queue worker stopped');
    });
  }

  /**
   * Drains the running job while the event bus, model cache, database and queue connections it uses
   * are still open: Nest closes those in onModuleDestroy of modules destroyed later and in
   * onApplicationShutdown, where @nestjs/bullmq would close the worker.
   */
  async onModuleDestroy(): Promise<void> {
    // Training stops at its next step boundary, saves a state and goes back to the queue (process()) rather
    // than running on past the shutdown timeout and waiting for its lock to expire.
    if (QUEUE_WORKER_OPTIONS[this.queue].handBackOnShutdown) {
      this.shutdown.abort(new WorkerShutdownError());
    }
    await this.worker.close();
  }

  async process(job: Job, token?: string): Promise<unknown> {
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
    const modelId = 'modelId' in payload ? payload.modelId : undefined;
    const logger = this.rootLogger.child({ queue: this.queue, jobId, jobName: job.name, runId, modelId });
    const cancellation = runId
      ? this.watchCancellation(
          async () => (await this.runs.status(runId)) === 'cancelled',
          () => new RunCancelledError(runId),
        )
      : modelId
        ? this.watchModelStop(modelId)
        : { signal: new AbortController().signal, stop() {} };
    const lock = { controller: new AbortController(), logger };
    this.lockWatch.set(jobId, lock);
    const isFinalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    // Starts that were not counted as attempts: earlier transient retries (and stalls, which only
    // make the budget smaller).
    const transientRetries = Math.max(0, job.attemptsStarted - job.attemptsMade - 1);
    const retriesLater = (error: unknown) =>
      token !== undefined &&
      !lock.controller.signal.aborted &&
      transientRetries < TRANSIENT_DB_RETRY.retries &&
      isTransientDbError(error);
    const context: JobContext = {
      queue: this.queue,
      job: job.name,
      jobId,
      attempt: job.attemptsMade + 1,
      isFinalAttempt,
      failsForGood: (error) =>
        !retriesLater(error) && (isFinalAttempt || error instanceof UnrecoverableError),
      signal: AbortSignal.any([cancellation.signal, lock.controller.signal, this.shutdown.signal]),
      logger,
      reportProgress: async (fraction) => {
        await job.updateProgress(Math.max(0, Math.min(1, fraction)));
        // The run's own progress was written with its shard's (RunLifecycle); its watchers hear of it now.
        if (runId) await this.progress.runChanged(runId);
      },
    };
    const started = performance.now();
    logger.info({ attempt: context.attempt }, 'job started');
    try {
      const result = await this.registry.handlerFor(job.name)(payload, context);
      logger.info({ durationMs: Math.round(performance.now() - started) }, 'job completed');
      return result;
    } catch (error) {
      const durationMs = Math.round(performance.now() - started);
      if (error instanceof WorkerShutdownError && token !== undefined && !lock.controller.signal.aborted) {
        try {
          await job.moveToWait(token);
        } catch (moveError) {
          // The lock expiry hands it back later instead.
          logger.warn({ err: moveError, durationMs }, 'worker shutting down; could not hand the job back');
          throw error;
        }
        logger.info({ durationMs }, 'worker shutting down; job handed back to the queue');
        // Tells BullMQ the job was moved (to waiting), not failed.
        throw new WaitingError();
      }
      if (retriesLater(error) && token !== undefined) {
        const delayMs = transientRetryDelayMs(transientRetries);
        try {
          await job.moveToDelayed(Date.now() + delayMs, token);
        } catch (moveError) {
          logger.error({ err: error, moveError, durationMs }, 'job failed; could not delay it for a retry');
          throw error;
        }
        logger.warn(
          { err: error, durationMs, retry: transientRetries + 1, delayMs },
          'transient database error; job runs again later',
        );
        // Tells BullMQ the job was moved (to delayed), not failed.
        throw new DelayedError();
      }
      logger.error({ err: error, durationMs }, 'job failed');
      throw error;
    } finally {
      cancellation.stop();
      this.lockWatch.delete(jobId);
      if (runId) await this.progress.runChanged(runId);
    }
  }

  /**
   * BullMQ could not renew these jobs' locks (Redis lost the key, the worker
   * was blocked too long, …): they will be handed to another worker, so this
   * process must stop working on them.
   */
  @OnWorkerEvent('lockRenewalFailed')
  onLockRenewalFailed(jobIds: string[]): void {
    for (const jobId of jobIds) {
      const lock = this.lockWatch.get(jobId);
      if (!lock || lock.controller.signal.aborted) continue;
      lock.logger.warn('job lock lost: aborting the job');
      lock.controller.abort(new JobLockLostError(jobId));
    }
  }

  /** BullMQ's own errors (lost locks, connection trouble) as log lines, not bare console output. */
  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    this.rootLogger.warn({ err: error, queue: this.queue }, 'queue worker error');
  }

  /**
   * A model's stages train at once (the training DAG): a cancel, a delete, or another stage failing the model stops
   * the ones still running, since the model cannot become ready any more.
   */
  private watchModelStop(modelId: string): { signal: AbortSignal; stop(): void } {
    let seen: string | undefined;
    return this.watchCancellation(
      async () => {
        seen = (await this.models.status(modelId)) ?? 'deleted';
        return ['deleted', 'cancelled', 'failed'].includes(seen);
      },
      () => new ModelCancelledError(modelId, seen === 'failed' ? 'failed in another stage' : seen),
    );
  }

  /**
   * The run's (or model's) status in Postgres is the cancellation channel: whichever
   * process holds the job sees a cancel made through any API replica.
   */
  private watchCancellation(
    isCancelled: () => Promise<boolean>,
    reason: () => Error,
  ): { signal: AbortSignal; stop(): void } {
    const controller = new AbortController();
    const timer = setInterval(() => {
      isCancelled().then(
        (cancelled) => {
          if (cancelled) controller.abort(reason());
        },
        () => undefined,
      );
    }, CANCELLATION_POLL_MS);
    timer.unref();
    return { signal: controller.signal, stop: () => clearInterval(timer) };
  }
}
