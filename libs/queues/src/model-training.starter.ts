import { Injectable } from '@nestjs/common';
import { MODEL_STAGES, TRAIN_STAGE_JOB } from '@maskgen/contracts';
import type { ModelEntity } from '@maskgen/persistence';
import { JobQueueRepository, type FlowNode } from './job-queue.repository';

/**
 * Enqueues a model's training as a chain on the train queue: each stage is the
 * parent of the one before it, so stage1 → prior → critic → classifier run in
 * order, and a stage that fails for good stops the stages after it.
 */
@Injectable()
export class ModelTrainingStarter {
  constructor(private readonly jobs: JobQueueRepository) {}

  async start(model: Pick<ModelEntity, 'id'>): Promise<void> {
    let chain: FlowNode | undefined;
    for (const stage of MODEL_STAGES) {
      const node = {
        name: TRAIN_STAGE_JOB[stage],
        data: { modelId: model.id },
        options: { jobId: `${model.id}-${stage}` },
        children: chain ? [chain] : undefined,
      } as FlowNode;
      chain = node;
    }
    await this.jobs.addFlowTree(chain!);
  }
}
