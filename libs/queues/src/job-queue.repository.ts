import { InjectFlowProducer } from '@nestjs/bullmq';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  JOB_QUEUE,
  QUEUE_NAMES,
  QueueName,
  parseJobPayload,
  type JobItem,
  type JobName,
} from '@maskgen/contracts';
import type { FlowJob, FlowProducer, JobsOptions, Queue } from 'bullmq';
import { whenQueueReachable } from './queue-unavailable';

export const RUN_FLOW_PRODUCER = 'runs';

/** The queues producers use (QueuesModule): on the fail-fast connection with Redis (`owned`: closed here). */
export const PRODUCER_QUEUES = Symbol('PRODUCER_QUEUES');
export interface ProducerQueues {
  queues: Record<QueueName, Queue>;
  owned: boolean;
}

/** Job states that will still lead to the job running (a flow parent waits in waiting-children). */
const LIVE_STATES = new Set(['waiting', 'waiting-children', 'prioritized', 'delayed', 'active']);

export interface EnqueueOptions {
  /** Stable id: adding a job whose id already exists is a no-op, which makes enqueueing idempotent. */
  jobId?: string;
  /** 1 is the highest priority. */
  priority?: number;
  delayMs?: number;
}

/** A job of a flow with the jobs that must complete before it runs. */
export type FlowNode = JobItem & { options?: EnqueueOptions; children?: FlowNode[] };

export type JobCounts = Record<
  'waiting' | 'active' | 'delayed' | 'prioritized' | 'completed' | 'failed',
  number
>;

/**
 * All BullMQ I/O of the application goes through here. Every operation fails within seconds with
 * QueueUnavailableError while the backend is unreachable (it is never left queued to run later).
 */
@Injectable()
export class JobQueueRepository implements OnApplicationShutdown {
  private readonly queues: Record<QueueName, Queue>;

  constructor(
    @Inject(PRODUCER_QUEUES) private readonly producers: ProducerQueues,
    @InjectFlowProducer(RUN_FLOW_PRODUCER) private readonly flows: FlowProducer,
  ) {
    this.queues = producers.queues;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.producers.owned) await Promise.all(Object.values(this.queues).map((queue) => queue.close()));
  }

  async add(item: JobItem, options: EnqueueOptions = {}): Promise<string> {
    const data = parseJobPayload(item.name, item.data);
    const queue = this.queues[JOB_QUEUE[item.name]];
    const job = await this.reachable(queue, () => queue.add(item.name, data, toJobsOptions(options)));
    return job.id ?? '';
  }

  /** Runs `work` on `target` once it is connected; an unreachable backend becomes QueueUnavailableError. */
  private reachable<T>(target: Queue | FlowProducer, work: () => Promise<T>): Promise<T> {
    return whenQueueReachable(() => target.waitUntilReady(), work);
  }

  /**
   * Adds a parent job that runs only after all its children completed
   * (BullMQ flow). Children whose id already exists are not added twice.
   */
  async addFlow(
    parent: JobItem & { options?: EnqueueOptions },
    children: (JobItem & { options?: EnqueueOptions })[],
  ): Promise<string> {
    return this.addFlowTree({ ...parent, children });
  }

  /**
   * Adds a flow of any depth: every job runs after all its children, and a child
   * that fails for good fails its parent (and so every ancestor).
   */
  async addFlowTree(root: FlowNode): Promise<string> {
    const toFlowJob = (node: FlowNode, isChild: boolean): FlowJob => ({
      name: node.name,
      queueName: JOB_QUEUE[node.name],
      data: parseJobPayload(node.name, node.data),
      opts: { ...toJobsOptions(node.options ?? {}), ...(isChild ? { failParentOnFailure: true } : {}) },
      children: node.children?.map((child) => toFlowJob(child, true)),
    });
    const flow = toFlowJob(root, false);
    const added = await this.reachable(this.flows, () => this.flows.add(flow));
    return added.job.id ?? '';
  }

  async counts(queue: QueueName): Promise<JobCounts> {
    const target = this.queues[queue];
    const counts = await this.reachable(target, () =>
      target.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'),
    );
    return {
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      prioritized: counts.prioritized ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
    };
  }

  /** When a job started and ended (ms since the epoch; null if not yet), or null once the queue dropped it. */
  async jobTimes(
    name: JobName,
    jobId: string,
  ): Promise<{ processedOn: number | null; finishedOn: number | null } | null> {
    const queue = this.queues[JOB_QUEUE[name]];
    const job = await this.reachable(queue, () => queue.getJob(jobId));
    return job ? { processedOn: job.processedOn ?? null, finishedOn: job.finishedOn ?? null } : null;
  }

  async jobState(name: JobName, jobId: string): Promise<string> {
    const queue = this.queues[JOB_QUEUE[name]];
    return this.reachable(queue, () => queue.getJobState(jobId));
  }

  /** Whether a job still exists in a state from which it will run (or is running). */
  async isLive(name: JobName, jobId: string): Promise<boolean> {
    return LIVE_STATES.has(await this.jobState(name, jobId));
  }

  /**
   * Creates or replaces a cron job scheduler (BullMQ job schedulers): the same
   * id twice leaves one scheduler, so creating a schedule is idempotent.
   */
  async upsertScheduler(id: string, cron: { pattern: string; tz: string }, item: JobItem): Promise<void> {
    const data = parseJobPayload(item.name, item.data);
    const queue = this.queues[JOB_QUEUE[item.name]];
    await this.reachable(queue, () => queue.upsertJobScheduler(id, cron, { name: item.name, data }));
  }

  async listSchedulers(queue: QueueName, idPrefix: string) {
    const target = this.queues[queue];
    const all = await this.reachable(target, () => target.getJobSchedulers(0, -1, true));
    return all.filter(
      (scheduler) => (scheduler.key ?? '').startsWith(idPrefix) || (scheduler.id ?? '').startsWith(idPrefix),
    );
  }

  removeScheduler(queue: QueueName, id: string): Promise<boolean> {
    const target = this.queues[queue];
    return this.reachable(target, () => target.removeJobScheduler(id));
  }

  /** A round trip to the queue backend, for readiness checks. */
  async ping(): Promise<void> {
    await Promise.all(
      QUEUE_NAMES.map((name) =>
        this.reachable(this.queues[name], () => this.queues[name].getJobCounts('waiting')),
      ),
    );
  }
}

function toJobsOptions(options: EnqueueOptions): JobsOptions {
  return {
    jobId: options.jobId,
    priority: options.priority,
    delay: options.delayMs,
  };
}
