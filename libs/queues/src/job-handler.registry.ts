import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { JOB_QUEUE, isJobName, type JobName, type JobPayload, type QueueName } from '@maskgen/contracts';
import type { JobHandler } from './job-context';
import { ON_JOB_METADATA } from './on-job.decorator';

/** Injection token: the queues this process consumes. */
export const CONSUMED_QUEUES = Symbol('CONSUMED_QUEUES');

export class JobHandlerRegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobHandlerRegistryError';
  }
}

/**
 * Maps job names to the methods marked with @OnJob. Boot fails if a job of a
 * consumed queue has no handler or two, so a job can never sit in a queue
 * that nobody processes. Built in onModuleInit: the queue processors start
 * taking jobs only in onApplicationBootstrap, after it.
 */
@Injectable()
export class JobHandlerRegistry implements OnModuleInit {
  private readonly handlers = new Map<JobName, JobHandler<unknown>>();

  constructor(
    @Inject(CONSUMED_QUEUES) private readonly consumedQueues: readonly QueueName[],
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const problems: string[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method = (instance as Record<string, unknown>)[methodName];
        if (typeof method !== 'function') continue;
        const names = this.reflector.get<readonly string[] | undefined>(ON_JOB_METADATA, method) ?? [];
        for (const name of names) {
          if (!isJobName(name)) {
            problems.push(`${wrapper.name}.${methodName} handles unknown job "${name}"`);
          } else if (this.handlers.has(name)) {
            problems.push(`job "${name}" has two handlers (second: ${wrapper.name}.${methodName})`);
          } else {
            this.handlers.set(name, (method as JobHandler<unknown>).bind(instance));
          }
        }
      }
    }
    for (const [name, queue] of Object.entries(JOB_QUEUE) as [JobName, QueueName][]) {
      if (this.consumedQueues.includes(queue) && !this.handlers.has(name)) {
        problems.push(`job "${name}" on queue "${queue}" has no handler`);
      }
    }
    if (problems.length > 0) {
      throw new JobHandlerRegistryError(`Job handlers are inconsistent:\n  ${problems.join('\n  ')}`);
    }
  }

  handlerFor<N extends JobName>(name: N): JobHandler<JobPayload<N>> {
    const handler = this.handlers.get(name);
    if (!handler) throw new JobHandlerRegistryError(`No handler registered for job "${name}"`);
    return handler;
  }
}
