/**
 * Issue 22 item 2: the model lifecycle scenarios of libs/runs/test (stages skipped once the model stopped, ready
 * after the fourth stage stored, cancel, failure, shutdown, lost lock) against ModelRepository on PostgreSQL, so the
 * in-memory store the unit tests use and the real one are held to the same behaviour.
 */
import { before, describe } from 'node:test';
import { MODEL_STAGES, readModelProgress, type ModelStageName } from '@maskgen/contracts';
import { DatasetEntity, ModelRepository, TeamRepository } from '@maskgen/persistence';
import { ModelLifecycle } from '@maskgen/runs';
import { modelLifecycleScenarios, stageStatuses } from '../libs/runs/test/model-lifecycle-scenarios';
import { useTestDataSource } from './support/database';
import { uniqueSuffix } from './support/services';

describe('model lifecycle (ModelRepository on PostgreSQL)', () => {
  const database = useTestDataSource('model-lifecycle', { migrated: true });
  let models: ModelRepository;
  let teamId: string;
  let datasetId: string;

  before(async () => {
    models = new ModelRepository(database.dataSource);
    teamId = (await new TeamRepository(database.dataSource).ensureTeam(`lifecycle-${uniqueSuffix()}`)).id;
    const dataset = await database.dataSource.getRepository(DatasetEntity).save({
      teamId,
      name: `lifecycle-${uniqueSuffix()}`,
      sourceKind: 'builtin',
      seriesLength: 8,
      classNames: ['a', 'b'],
      trainCount: 4,
      testCount: 4,
    });
    datasetId = dataset.id;
  });

  modelLifecycleScenarios(() => ({
    lifecycle: new ModelLifecycle(models),
    createModel: async () =>
      (await models.create({ teamId, datasetId, name: `m-${uniqueSuffix()}`, profile: 'tiny', seed: 1 })).id,
    inspect: async (modelId) => {
      const model = await models.findById(modelId);
      if (!model) throw new Error(`no model ${modelId}`);
      const checkpoints = await database.dataSource.query<
        { stage: ModelStageName; partial: boolean; step: number | null }[]
      >(`SELECT stage, partial, step FROM model_checkpoints WHERE model_id = $1`, [modelId]);
      return {
        status: model.status,
        error: model.error,
        progress: readModelProgress(model.progress),
        stages: stageStatuses(model.progress),
        metrics: model.metrics,
        checkpoints: checkpoints.sort(
          (a, b) => MODEL_STAGES.indexOf(a.stage) - MODEL_STAGES.indexOf(b.stage),
        ),
      };
    },
  }));
});
