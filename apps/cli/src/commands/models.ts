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
import { formatCell, pageFooter, printJson, printRecord, printTable, type Io } from '../output';
import { addWaitOptions, NotSucceeded, waitUntilFinished, type WaitOptions } from '../wait';

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

export function modelsCommand(deps: CliDeps): Command {
  const models = new Command('models').description('train and inspect models');

  addWaitOptions(
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
    'training',
    2000,
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
      if (!options.wait) return showModel(context.io, context.settings.json, created);
      if (!context.settings.json) context.io.stderr.write(`training model ${created.id}\n`);
      const model = await waitForModel(context, created.id, options);
      showModel(context.io, context.settings.json, model);
      assertReady(model);
    },
  );

  models
    .command('list')
    .description("list the team's models")
    .option('--status <s>', 'only models in this status')
    .option('--dataset <id>', 'only models of this dataset')
    .option('--offset <n>', 'first row', integer('--offset'), 0)
    .option('--limit <n>', 'rows', integer('--limit', 1), 50)
    .action(
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
        if (context.settings.json) return printJson(context.io, page);
        printTable(
          context.io,
          ['id', 'name', 'status', 'profile', 'stage', 'step', 'created'],
          page.items.map((m) => [
            m.id,
            m.name,
            m.status,
            m.profile,
            m.progress?.stage,
            m.progress?.totalSteps ? `${m.progress.step ?? 0}/${m.progress.totalSteps}` : '-',
            m.createdAt,
          ]),
        );
        pageFooter(context.io, page);
      },
    );

  addWaitOptions(
    models.command('show <id>').description('status, per-stage progress and metrics of one model'),
    'training',
    2000,
  ).action(async (id: string, options: WaitOptions, command: Command) => {
    const context = contextOf(command, deps);
    const model = options.wait ? await waitForModel(context, id, options) : await context.client.getModel(id);
    showModel(context.io, context.settings.json, model);
    if (options.wait) assertReady(model);
  });

  models
    .command('cancel <id>')
    .description('stop training')
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = contextOf(command, deps);
      showModel(context.io, context.settings.json, await context.client.cancelModel(id));
    });

  models
    .command('delete <id>')
    .description('delete a model (refused while runs use it)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = contextOf(command, deps);
      await context.client.deleteModel(id);
      if (context.settings.json) printJson(context.io, { id, deleted: true });
      else context.io.stdout.write(`deleted model ${id}\n`);
    });

  return models;
}
