import { InjectFlowProducer, InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import {
  JOB_QUEUE,
  QUEUE_NAMES,
  QueueName,
  parseJobPayload,
  type JobItem,
  type JobName,
} from '@maskgen/contracts';
import type { FlowJob, FlowProducer, JobsOptions, Queue } from 'bullmq';

export const RUN_FLOW_PRODUCER = 'runs';

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

/** All BullMQ I/O of the application goes through here. */
@Injectable()
export class JobQueueRepository {
  private readonly queues: Record<QueueName, Queue>;

  constructor(
    @InjectQueue(QueueName.Train) train: Queue,
    @InjectQueue(QueueName.Generate) generate: Queue,
    @InjectQueue(QueueName.Evaluate) evaluate: Queue,
    @InjectFlowProducer(RUN_FLOW_PRODUCER) private readonly flows: FlowProducer,
  ) {
    this.queues = { train, generate, evaluate };
  }

  async add(item: JobItem, options: EnqueueOptions = {}): Promise<string> {
    const data = parseJobPayload(item.name, item.data);
    const job = await this.queues[JOB_QUEUE[item.name]].add(item.name, data, toJobsOptions(options));
    return job.id ?? '';
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
    const added = await this.flows.add(toFlowJob(root, false));
    return added.job.id ?? '';
  }

  async counts(queue: QueueName): Promise<JobCounts> {
    const counts = await this.queues[queue].getJobCounts(
      'waiting',
      'active',
      'delayed',
      'prioritized',
      'completed',
      'failed',
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

  async jobState(name: JobName, jobId: string): Promise<string> {
    return this.queues[JOB_QUEUE[name]].getJobState(jobId);
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
    await this.queues[JOB_QUEUE[item.name]].upsertJobScheduler(id, cron, { name: item.name, data });
  }

  async listSchedulers(queue: QueueName, idPrefix: string) {
    const all = await this.queues[queue].getJobSchedulers(0, -1, true);
    return all.filter(
      (scheduler) => (scheduler.key ?? '').startsWith(idPrefix) || (scheduler.id ?? '').startsWith(idPrefix),
    );
  }

  removeScheduler(queue: QueueName, id: string): Promise<boolean> {
    return this.queues[queue].removeJobScheduler(id);
  }

  /** A round trip to the queue backend, for readiness checks. */
  async ping(): Promise<void> {
    await Promise.all(QUEUE_NAMES.map((queue) => this.queues[queue].getJobCounts('waiting')));
  }
}

function toJobsOptions(options: EnqueueOptions): JobsOptions {
  return {
    jobId: options.jobId,
    priority: options.priority,
    delay: options.delayMs,
  };
}
