import { Injectable } from '@nestjs/common';
import { TRAIN_STAGE_JOB, type ModelStageName } from '@maskgen/contracts';
import type { ModelEntity } from '@maskgen/persistence';
import { JobQueueRepository, type FlowNode } from './job-queue.repository';

/** A flow node's stage and the nodes it waits for. */
export interface StageTree {
  stage: ModelStageName;
  children: StageTree[];
}

/**
 * The training DAG (MODEL_STAGE_INPUTS) as the tree a BullMQ flow needs (a job runs after all its children, and one
 * failing for good fails its parent): critic waits for the prior, which waits for stage 1; the classifier needs only
 * the dataset and hangs under the critic beside the prior, so it trains while stage 1 does and the last job (the
 * critic) ends a complete training. test/training-dag.test.ts checks it against MODEL_STAGE_INPUTS.
 */
export const TRAINING_FLOW: StageTree = {
  stage: 'critic',
  children: [
    { stage: 'prior', children: [{ stage: 'stage1', children: [] }] },
    { stage: 'classifier', children: [] },
  ],
};

/** Enqueues a model's training as the TRAINING_FLOW tree; a stage that fails for good stops the stages above it. */
@Injectable()
export class ModelTrainingStarter {
  constructor(private readonly jobs: JobQueueRepository) {}

  async start(model: Pick<ModelEntity, 'id'>): Promise<void> {
    const toNode = ({ stage, children }: StageTree): FlowNode =>
      ({
        name: TRAIN_STAGE_JOB[stage],
        data: { modelId: model.id },
        options: { jobId: `${model.id}-${stage}` },
        children: children.length > 0 ? children.map(toNode) : undefined,
      }) as FlowNode;
    await this.jobs.addFlowTree(toNode(TRAINING_FLOW));
  }
}
