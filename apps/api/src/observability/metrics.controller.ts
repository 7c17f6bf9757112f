import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { QUEUE_NAMES } from '@maskgen/contracts';
import { JobQueueRepository } from '@maskgen/queues';
import { Public } from '@maskgen/runtime';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** Prometheus scrape endpoint: queue depth per state (what autoscaling reads) and process metrics. */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  private readonly registry = new Registry();

  constructor(jobs: JobQueueRepository) {
    collectDefaultMetrics({ register: this.registry, prefix: 'maskgen_' });
    new Gauge({
      name: 'maskgen_queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        for (const queue of QUEUE_NAMES) {
          const counts = await jobs.counts(queue);
          for (const [state, value] of Object.entries(counts)) this.set({ queue, state }, value);
        }
      },
    });
  }

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4')
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
