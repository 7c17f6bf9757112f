/**
 * Issue 22 item 2: the model (training) lifecycle against an in-memory ModelStore (no services).
 * test/model-lifecycle.test.ts runs the same scenarios against ModelRepository on PostgreSQL.
 */
import { describe } from 'node:test';
import { readModelProgress } from '@maskgen/contracts';
import { ModelLifecycle } from '../src/model-lifecycle';
import { InMemoryModelStore } from './in-memory-model-store';
import { modelLifecycleScenarios, stageStatuses } from './model-lifecycle-scenarios';

describe('model lifecycle (in-memory store)', () => {
  modelLifecycleScenarios(() => {
    const store = new InMemoryModelStore();
    return {
      lifecycle: new ModelLifecycle(store),
      createModel: () => Promise.resolve(store.createModel()),
      inspect: (modelId) => {
        const model = store.model(modelId);
        return Promise.resolve({
          status: model.status,
          error: model.error,
          progress: readModelProgress(model.progress),
          stages: stageStatuses(model.progress),
          metrics: model.metrics,
          checkpoints: store
            .checkpointsOf(modelId)
            .map(({ stage, partial, step }) => ({ stage, partial, step })),
        });
      },
    };
  });
});
