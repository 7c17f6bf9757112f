import { Command, Option } from 'commander';
import {
  DEFAULT_TRAINING_PROFILE,
  FINISHED_MODEL_STATUSES,
  modelMetricNote,
  TRAINING_PROFILES,
  TRAINING_STAGES,
  type Model,
  type StageProgress,
} from '@maskgen/client';
import { contextOf, integer, type CliDeps, type CommandContext } from '../context';
import { formatCell, printJson, printRecord, printTable, type Io } from '../output';
import { NotSucceeded, waitUntilFinished, type WaitOptions } from '../wait';
import {
  addDeleteCommand,
  addItemCommand,
  addPageOptions,
  addShowCommand,
  printPage,
  showStarted,
  waitable,
  type Followed,
} from './shared';

/** " (resumed from step k)" after a stage's steps when it continued an interrupted run. */
function resumed(stage: StageProgress): string {
  return stage.resumedFromStep === undefined ? '' : ` (resumed from step ${stage.resumedFromStep})`;
}

function showModel(io: Io, json: boolean, model: Model): void {
  if (json) return printJson(io, model);
  printRecord(io, [
    ['id', model.id],
    ['name', model.name],
    ['status', model.status],
    ['dataset', model.datasetId],
    ['profile', model.profile],
    ['seed', model.seed],
    ['created', model.createdAt],
    ['updated', model.updatedAt],
    // A calibration figure carries what it means, e.g. "0.2889 (critic false positives: share of …)".
    ...Object.entries(model.metrics ?? {}).map(([name, value]) => {
      const note = modelMetricNote(name);
      return [name, note === undefined ? value : `${formatCell(value)} (${note})`] as [string, unknown];
    }),
    ...(model.error ? ([['error', model.error]] as [string, unknown][]) : []),
  ]);
  const stages = model.progress?.stages;
  if (stages) {
    printTable(
      io,
      ['stage', 'status', 'step', 'loss'],
      TRAINING_STAGES.map((name) => {
        const stage = stages[name];
        return [
          name,
          stage?.status,
          stage ? `${stage.step}/${stage.totalSteps}${resumed(stage)}` : '-',
          stage?.loss,
        ];
      }),
    );
  }
}

/** Polls a model until training ends, one bar per stage (steps of the current stage). */
function waitForModel(context: CommandContext, id: string, options: WaitOptions): Promise<Model> {
  return waitUntilFinished(
    context,
    () => context.client.getModel(id),
    (model) => {
      const loss = model.progress?.loss;
      const current = model.progress?.stage;
      const stage = current ? model.progress.stages?.[current] : undefined;
      return {
        label: `train ${current ?? 'queued'}`,
        value: model.progress?.step ?? 0,
        total: model.progress?.totalSteps ?? 0,
        detail: `steps${stage ? resumed(stage) : ''} | loss ${loss === undefined || loss === null ? '-' : formatCell(loss)} | ${model.status}`,
      };
    },
    (model) => FINISHED_MODEL_STATUSES.includes(model.status),
    options.interval,
    {
      seconds: options.reconnect,
      continues: `training continues on the server; see it with: maskgen models show ${id}`,
    },
  );
}

/** With --wait: training that ended other than `ready` is a failure (exit code 1). */
function assertReady(model: Model): void {
  if (model.status !== 'ready') {
    throw new NotSucceeded(`model ${model.id} is ${model.status}${model.error ? `: ${model.error}` : ''}`);
  }
}

const TRAINING: Followed<Model> = {
  what: 'training',
  intervalMs: 2000,
  get: (client, id) => client.getModel(id),
  show: showModel,
  waitFor: waitForModel,
  assertSucceeded: assertReady,
};

export function modelsCommand(deps: CliDeps): Command {
  const models = new Command('models').description('train and inspect models');

  waitable(
    models
      .command('train')
      .description('train a model (stage 1, prior, critic, classifier) on a dataset')
      .requiredOption('--dataset <id>', 'dataset id')
      .option('--name <name>', 'model name')
      .addOption(
        new Option('--profile <p>', 'model and training size')
          .choices(TRAINING_PROFILES)
          .default(DEFAULT_TRAINING_PROFILE),
      )
      .option('--seed <n>', 'random seed', integer('--seed')),
    TRAINING,
  ).action(
    async (
      options: WaitOptions & { dataset: string; name?: string; profile: string; seed?: number },
      command: Command,
    ) => {
      const context = contextOf(command, deps);
      const created = await context.client.trainModel({
        datasetId: options.dataset,
        profile: options.profile,
        ...(options.name ? { name: options.name } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
      });
      await showStarted(context, created, options, TRAINING, 'training model');
    },
  );

  addPageOptions(
    models
      .command('list')
      .description("list the team's models")
      .option('--status <s>', 'only models in this status')
      .option('--dataset <id>', 'only models of this dataset'),
  ).action(
    async (
      options: { status?: string; dataset?: string; offset: number; limit: number },
      command: Command,
    ) => {
      const context = contextOf(command, deps);
      const page = await context.client.listModels({
        status: options.status,
        datasetId: options.dataset,
        offset: options.offset,
        limit: options.limit,
      });
      printPage(context, page, ['id', 'name', 'status', 'profile', 'stage', 'step', 'created'], (m) => [
        m.id,
        m.name,
        m.status,
        m.profile,
        m.progress?.stage,
        m.progress?.totalSteps ? `${m.progress.step ?? 0}/${m.progress.totalSteps}` : '-',
        m.createdAt,
      ]);
    },
  );

  addShowCommand(models, deps, TRAINING, 'status, per-stage progress and metrics of one model');
  addItemCommand(
    models,
    deps,
    { name: 'cancel <id>', description: 'stop training', show: showModel },
    (client, id) => client.cancelModel(id),
  );
  addDeleteCommand(models, deps, 'model', 'delete a model (refused while runs use it)');

  return models;
}
