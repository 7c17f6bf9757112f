import { randomInt } from 'node:crypto';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import {
  initialModelProgress,
  readModelProgress,
  type ModelProgress,
  type createModelRequestSchema,
  type listModelsQuerySchema,
} from '@maskgen/contracts';
import type { z } from 'zod';
import { DatasetRepository, ModelRepository, type ModelEntity, type TeamEntity } from '@maskgen/persistence';
import { ModelTrainingStarter, ProgressPublisher, QueueUnavailableError } from '@maskgen/queues';
import { ModelLifecycle } from '@maskgen/runs';
import { removeOwned } from '../common/removal';

export interface ModelView {
  id: string;
  name: string;
  datasetId: string;
  status: ModelEntity['status'];
  profile: ModelEntity['profile'];
  seed: number;
  progress: ModelProgress;
  metrics: Record<string, unknown>;
  checkpoints: { stage: string; sha256: string; byteSize: number; createdAt: Date }[];
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

@Injectable()
export class ModelsService {
  constructor(
    private readonly models: ModelRepository,
    private readonly datasets: DatasetRepository,
    private readonly training: ModelTrainingStarter,
    private readonly events: ProgressPublisher,
    private readonly lifecycle: ModelLifecycle,
  ) {}

  /** Stores the model and enqueues its four training stages; it trains in the background. */
  async create(team: TeamEntity, request: z.output<typeof createModelRequestSchema>): Promise<ModelView> {
    const dataset = await this.datasets.findForTeam(request.datasetId, team.id);
    if (!dataset) throw new NotFoundException(`Dataset ${request.datasetId} not found`);
    const profile = request.profile;
    const model = await this.models.create({
      teamId: team.id,
      datasetId: dataset.id,
      name: request.name ?? `${dataset.name}-${profile}`,
      profile,
      seed: request.seed ?? randomInt(0, 2 ** 32 - 1),
    });
    try {
      await this.training.start(model);
    } catch (error) {
      // Queue unreachable: nothing was enqueued, so nothing is kept (503, and a retry starts afresh).
      if (error instanceof QueueUnavailableError) await this.models.deleteForTeam(model.id, team.id);
      else await this.models.fail(model.id, `could not enqueue training: ${String(error)}`);
      throw error;
    }
    return this.published(team, await this.view(model));
  }

  async list(team: TeamEntity, query: z.output<typeof listModelsQuerySchema>) {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 50;
    const [models, total] = await this.models.listForTeam(
      team.id,
      { status: query.status, datasetId: query.datasetId },
      offset,
      limit,
    );
    return { items: await Promise.all(models.map((model) => this.view(model))), total, offset, limit };
  }

  async get(team: TeamEntity, id: string): Promise<ModelView> {
    return this.view(await this.owned(team, id));
  }

  /** Stops training: the running stage aborts within about a second; stored checkpoints stay. */
  async cancel(team: TeamEntity, id: string): Promise<ModelView> {
    const model = await this.owned(team, id);
    if (!(await this.lifecycle.cancel(model.id))) {
      throw new ConflictException(
        `Model is already ${model.status}; only pending or training models can be cancelled`,
      );
    }
    return this.published(team, await this.get(team, id));
  }

  async remove(team: TeamEntity, id: string): Promise<void> {
    const model = await this.owned(team, id);
    if (model.status === 'pending' || model.status === 'training') {
      throw new ConflictException(`Model is ${model.status}; cancel it before deleting it`);
    }
    await removeOwned('Model', id, () => this.models.deleteForTeam(id, team.id));
  }

  private async published(team: TeamEntity, view: ModelView): Promise<ModelView> {
    await this.events.model(team.id, {
      id: view.id,
      status: view.status,
      progress: view.progress,
      metrics: view.metrics,
      error: view.error,
    });
    return view;
  }

  /** A model of another team is reported as missing, so ids of other teams reveal nothing. */
  async owned(team: TeamEntity, id: string): Promise<ModelEntity> {
    const model = await this.models.findForTeam(id, team.id);
    if (!model) throw new NotFoundException(`Model ${id} not found`);
    return model;
  }

  private async view(model: ModelEntity): Promise<ModelView> {
    const checkpoints = await this.models.checkpointDigests(model.id);
    return {
      id: model.id,
      name: model.name,
      datasetId: model.datasetId,
      status: model.status,
      profile: model.profile,
      seed: model.seed,
      progress: model.progress ? readModelProgress(model.progress) : initialModelProgress(),
      metrics: model.metrics,
      checkpoints,
      error: model.error,
      createdAt: model.createdAt,
      updatedAt: model.updatedAt,
    };
  }
}
