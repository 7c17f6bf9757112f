/**
 * Issue 23 item 3: the training flow is a DAG. TRAINING_FLOW (the tree BullMQ runs) must make every stage wait for
 * every stage it needs (MODEL_STAGE_INPUTS), hold each stage once, and leave the classifier free to train beside
 * stage 1. No services: the flow's shape only (test/models.test.ts trains one and checks the job times).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  JOB_QUEUE,
  MODEL_STAGES,
  MODEL_STAGE_INPUTS,
  TRAIN_STAGE_JOB,
  type ModelStageName,
} from '@maskgen/contracts';
import { TRAINING_FLOW, type StageTree } from '@maskgen/queues';

function descendants(node: StageTree): ModelStageName[] {
  return node.children.flatMap((child) => [child.stage, ...descendants(child)]);
}

function nodes(node: StageTree): StageTree[] {
  return [node, ...node.children.flatMap(nodes)];
}

describe('training DAG', () => {
  test('every stage appears once and runs after every stage it needs', () => {
    const all = nodes(TRAINING_FLOW);
    assert.deepEqual(all.map((n) => n.stage).sort(), [...MODEL_STAGES].sort());
    for (const node of all) {
      const before = descendants(node);
      for (const input of MODEL_STAGE_INPUTS[node.stage]) {
        assert.ok(before.includes(input), `${node.stage} needs ${input} but does not wait for it`);
      }
    }
  });

  test('the classifier needs only the dataset and waits for no stage', () => {
    assert.deepEqual(MODEL_STAGE_INPUTS.classifier, []);
    const classifier = nodes(TRAINING_FLOW).find((n) => n.stage === 'classifier');
    assert.deepEqual(classifier?.children, []);
    // Not below stage 1's chain, and on another queue: a worker runs it while stage 1 holds the train queue.
    assert.ok(!descendants(TRAINING_FLOW.children[0]).includes('classifier'));
    assert.notEqual(JOB_QUEUE[TRAIN_STAGE_JOB.classifier], JOB_QUEUE[TRAIN_STAGE_JOB.stage1]);
  });
});
