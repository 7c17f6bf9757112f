import {
  ConflictException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@maskgen/config';
import type { CreateRunInput, RunProvenance } from '@maskgen/contracts';
import {
  EssBatchRepository,
  MetricRepository,
  RunFeaturesRepository,
  RunRepository,
  type RunEntity,
  type RunEssSummary,
  type TeamEntity,
} from '@maskgen/persistence';
import { GenerationRunStarter, ProgressPublisher, RunTemplateError } from '@maskgen/queues';
import { RunLifecycle, RunTransitionError } from '@maskgen/runs';
import { betterDirections, compareWithConfidence } from './run-comparison';
import { toRunTemplate } from './run-template';

export interface RunView {
  id: string;
  kind: string;
  status: string;
  params: Record<string, unknown>;
  /** Model runs: the inference engine(s), model hash and code version that produced the samples. */
  provenance: RunProvenance | null;
  /**
   * ESS runs: the settings each sampler call ran with, defaults applied (`config`; null until a call finished), t*
   * per call (`batches`) and over the samples (`tStarHistogram`), and how many samples the critic judged worse
   * after ESS. Null for other runs.
   */
  ess: RunEssSummary | null;
  seed: number;
  progress: number;
  error: string | null;
  shards: {
    total: number;
    queued: number;
    running: number;
    succeeded: number;
    failed: number;
    cancelled: number;
  };
  samplesStored: number;
  timings: RunTimings;
}

export interface RunTimings {
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  /** Since the run started (its duration once finished); null before it starts. */
  elapsedMs: number | null;
  /** While running: the time left at the rate so far, elapsed · (1 − progress) / progress; else null. */
  etaMs: number | null;
}

@Injectable()
export class RunsService {
  constructor(
    private readonly runs: RunRepository,
    private readonly metrics: MetricRepository,
    private readonly essBatches: EssBatchRepository,
    private readonly runFeatures: RunFeaturesRepository,
    private readonly starter: GenerationRunStarter,
    private readonly progress: ProgressPublisher,
    private readonly lifecycle: RunLifecycle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The request was validated against createRunRequestSchema with this deployment's team limits. */
  async create(team: TeamEntity, request: CreateRunInput): Promise<RunView> {
    const active = await this.runs.countActive(team.id);
    if (active >= this.config.limits.activeRunsPerTeam) {
      throw new HttpException(
        `Your team already has ${active} active run(s), the limit is ${this.config.limits.activeRunsPerTeam}; wait for one to finish or cancel one`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    try {
      return await this.view(await this.starter.start(team.id, toRunTemplate(request)));
    } catch (error) {
      if (error instanceof RunTemplateError) {
        throw error.reason === 'model-not-found'
          ? new NotFoundException(error.message)
          : new ConflictException(error.message);
      }
      throw error;
    }
  }

  async get(team: TeamEntity, id: string): Promise<RunView> {
    return this.view(await this.owned(team, id));
  }

  async list(
    team: TeamEntity,
    filter: { status?: RunEntity['status']; kind?: RunEntity['kind'] },
    offset: number,
    limit: number,
  ) {
    const [runs, total] = await this.runs.listForTeam(team.id, filter, offset, limit);
    return { items: await Promise.all(runs.map((run) => this.view(run))), total, offset, limit };
  }

  async cancel(team: TeamEntity, id: string): Promise<RunView> {
    const run = await this.owned(team, id);
    await this.lifecycle.cancel(run).catch(conflict);
    await this.progress.runChanged(run.id);
    return this.get(team, id);
  }

  /** Re-enqueues the shards of a failed run that did not succeed, then its settling jobs; stored samples are kept. */
  async retry(team: TeamEntity, id: string): Promise<RunView> {
    const run = await this.owned(team, id);
    try {
      this.lifecycle.assertRetryable(run);
    } catch (error) {
      conflict(error);
    }
    // Reopen only while the queue answers (else 503, the run stays failed); should it go down right after, the
    // reopened run's recorded flow has no live job and the reconciler enqueues it.
    await this.starter.assertQueueReachable();
    // A run whose shards all succeeded (e.g. its evaluation failed) gets its finalising and evaluation jobs again.
    const shards = await this.lifecycle.retry(run).catch(conflict);
    const priority = typeof run.params.priority === 'number' ? run.params.priority : 5;
    await this.starter.enqueue(run, shards, priority, `r${Date.now().toString(36)}`);
    await this.progress.runChanged(run.id);
    return this.get(team, id);
  }

  /**
   * Runs side by side with the latest value of each of their metrics, in the order asked for, which way is better
   * for each metric, and with groups (each run its own group unless ';' separated them) the pooled FID per group and
   * the FID difference to the first group with a paired bootstrap CI (run-comparison.ts).
   */
  async compare(team: TeamEntity, ids: string[], groups: string[][] = ids.map((id) => [id])) {
    const unique = [...new Set(ids)];
    const found = await this.runs.findManyForTeam(unique, team.id);
    const missing = unique.filter((id) => !found.some((run) => run.id === id));
    if (missing.length > 0) throw new NotFoundException(`Run(s) not found: ${missing.join(', ')}`);
    const metrics = await this.metrics.latestByRun(unique);
    const ordered = unique.map((id) => found.find((candidate) => candidate.id === id)!);
    const confidence = await compareWithConfidence(this.runFeatures, groups, ordered);
    return {
      runs: ordered.map((run) => ({
        id: run.id,
        name: runLabel(run),
        kind: run.kind,
        sampler: run.params.sampler ?? null,
        status: run.status,
        createdAt: run.createdAt,
        group: groups.findIndex((group) => group.includes(run.id)),
        metrics: metrics.get(run.id) ?? {},
      })),
      betterDirection: betterDirections([...metrics.values()].flatMap((values) => Object.keys(values))),
      ...confidence,
    };
  }

  /** A run of another team is reported as missing, so ids of other teams reveal nothing. */
  async owned(team: TeamEntity, id: string): Promise<RunEntity> {
    const run = await this.runs.findForTeam(id, team.id);
    if (!run) throw new NotFoundException(`Run ${id} not found`);
    return run;
  }

  private async view(run: RunEntity): Promise<RunView> {
    const sampler = run.params.sampler as { kind?: string; method?: string } | undefined;
    const [counts, samplesStored, ess] = await Promise.all([
      this.runs.shardStatusCounts(run.id),
      this.runs.samplesStored(run.id),
      sampler?.kind === 'model' && sampler.method === 'ess' ? this.essBatches.summary(run.id) : null,
    ]);
    return {
      id: run.id,
      kind: run.kind,
      status: run.status,
      params: run.params,
      provenance: run.provenance,
      ess,
      seed: run.seed,
      progress: run.progress,
      error: run.error,
      shards: { total: run.totalShards, ...counts },
      samplesStored,
      timings: runTimings(run, new Date()),
    };
  }
}

/** Measured on the server's clock, so clients (CLI, dashboard) show elapsed time and ETA whatever their own clock. */
export function runTimings(
  run: Pick<RunEntity, 'createdAt' | 'startedAt' | 'finishedAt' | 'status' | 'progress'>,
  now: Date,
): RunTimings {
  const since = (end: Date | null) =>
    run.startedAt && end ? Math.max(0, end.getTime() - run.startedAt.getTime()) : null;
  const elapsedMs = since(run.finishedAt ?? now);
  const estimating = run.status === 'running' && elapsedMs !== null && run.progress > 0 && run.progress < 1;
  return {
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: since(run.finishedAt),
    elapsedMs,
    etaMs: estimating ? Math.round((elapsedMs * (1 - run.progress)) / run.progress) : null,
  };
}

/** A short human name: the sampler (method or generator), and the schedule that started it. */
export function runLabel(run: RunEntity): string {
  const sampler = run.params.sampler as { kind?: string; method?: string; generator?: string } | undefined;
  const base =
    run.kind === 'evaluate'
      ? 'evaluation'
      : sampler?.kind === 'model'
        ? `${sampler.method ?? 'model'} sampler`
        : `${sampler?.generator ?? 'synthetic'} generator`;
  return typeof run.params.schedule === 'string' ? `${base} (schedule ${run.params.schedule})` : base;
}

/** A transition the run's state refuses is a 409; anything else goes on as it was. */
function conflict(error: unknown): never {
  if (error instanceof RunTransitionError) throw new ConflictException(error.message);
  throw error;
}
