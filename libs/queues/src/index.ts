export * from './job-context';
export * from './job-handler.registry';
export * from './job-queue.repository';
export * from './on-job.decorator';
export * from './queue-backend';
export * from './queues.module';
export * from './worker-options';
