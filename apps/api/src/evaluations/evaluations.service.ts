import {
  BadRequestException,
  ConflictException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@maskgen/config';
import {
  DatasetRepository,
  MetricRepository,
  ModelRepository,
  RunRepository,
  type ModelEntity,
  type RunEntity,
  type TeamEntity,
} from '@maskgen/persistence';
import { EvaluationStarter, type EvaluationTarget } from '@maskgen/queues';
import type { createEvaluationRequestSchema, listEvaluationsQuerySchema } from '@maskgen/contracts';
import type { z } from 'zod';

export interface EvaluationView {
  id: string;
  status: RunEntity['status'];
  target: EvaluationTarget;
  modelId: string | null;
  /** Latest value of each metric; `details` holds every stored metric with its extra figures. */
  metrics: Record<string, number>;
  details: { name: string; value: number; details: Record<string, unknown> }[];
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** Evaluations are runs of kind 'evaluate'; this keeps their API shape apart from generation runs. */
@Injectable()
export class EvaluationsService {
  constructor(
    private readonly runs: RunRepository,
    private readonly models: ModelRepository,
    private readonly datasets: DatasetRepository,
    private readonly metrics: MetricRepository,
    private readonly starter: EvaluationStarter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The schema has checked that the request names a run, or a dataset and a split, never both. */
  async create(
    team: TeamEntity,
    request: z.output<typeof createEvaluationRequestSchema>,
  ): Promise<EvaluationView> {
    const target = request.runId
      ? await this.runTarget(team, request.runId, request.modelId)
      : await this.splitTarget(team, request.datasetId!, request.split!, request.modelId);
    const active = await this.runs.countActive(team.id);
    if (active >= this.config.limits.activeRunsPerTeam) {
      throw new HttpException(
        `Your team already has ${active} active run(s), the limit is ${this.config.limits.activeRunsPerTeam}`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    return this.view(await this.starter.start(team.id, target));
  }

  async list(team: TeamEntity, query: z.output<typeof listEvaluationsQuerySchema>) {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 50;
    const [runs, total] = await this.runs.listForTeam(
      team.id,
      { kind: 'evaluate', status: query.status },
      offset,
      limit,
    );
    return { items: await Promise.all(runs.map((run) => this.view(run))), total, offset, limit };
  }

  async get(team: TeamEntity, id: string): Promise<EvaluationView> {
    const run = await this.runs.findForTeam(id, team.id);
    if (!run || run.kind !== 'evaluate') throw new NotFoundException(`Evaluation ${id} not found`);
    return this.view(run);
  }

  private async runTarget(team: TeamEntity, runId: string, modelId?: string): Promise<EvaluationTarget> {
    const run = await this.runs.findForTeam(runId, team.id);
    if (!run) throw new NotFoundException(`Run ${runId} not found`);
    if (run.kind !== 'generate')
      throw new BadRequestException(`Run ${runId} is an evaluation, not a generation run`);
    if (run.status === 'queued' || run.status === 'running') {
      throw new ConflictException(`Run ${runId} is ${run.status}; evaluate it once it has finished`);
    }
    const classifierModelId = modelId ?? run.modelId;
    if (!classifierModelId) {
      throw new BadRequestException(
        `Run ${runId} was not sampled from a model; pass modelId to choose the dataset and classifier`,
      );
    }
    const model = await this.readyModel(team, classifierModelId);
    return { kind: 'run', runId: run.id, datasetId: model.datasetId, modelId: model.id };
  }

  private async splitTarget(
    team: TeamEntity,
    datasetId: string,
    split: 'train' | 'test',
    modelId?: string,
  ): Promise<EvaluationTarget> {
    const dataset = await this.datasets.findForTeam(datasetId, team.id);
    if (!dataset) throw new NotFoundException(`Dataset ${datasetId} not found`);
    const model =
      modelId === undefined
        ? await this.models.latestReady(team.id, dataset.id)
        : await this.readyModel(team, modelId);
    if (!model) {
      throw new ConflictException(
        `Dataset ${datasetId} has no ready model whose classifier could evaluate it; train one (POST /models) or pass modelId`,
      );
    }
    if (model.datasetId !== dataset.id) {
      throw new BadRequestException(`Model ${modelId} was trained on another dataset`);
    }
    return { kind: 'split', datasetId: dataset.id, split, modelId: model.id };
  }

  private async readyModel(team: TeamEntity, id: string): Promise<ModelEntity> {
    const model = await this.models.findForTeam(id, team.id);
    if (!model) throw new NotFoundException(`Model ${id} not found`);
    if (model.status !== 'ready') throw new ConflictException(`Model ${id} is ${model.status}, not ready`);
    return model;
  }

  private async view(run: RunEntity): Promise<EvaluationView> {
    const stored = await this.metrics.forRun(run.id);
    const latest: Record<string, number> = {};
    for (const metric of stored) latest[metric.name] = metric.value;
    return {
      id: run.id,
      status: run.status,
      target: run.params.target as EvaluationTarget,
      modelId: run.modelId,
      metrics: latest,
      details: stored.map((metric) => ({ name: metric.name, value: metric.value, details: metric.details })),
      error: run.error,
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
    };
  }
}
