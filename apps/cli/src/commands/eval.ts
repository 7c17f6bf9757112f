import { Command, Option } from 'commander';
import { FINISHED_RUN_STATUSES, metricReference, type Evaluation } from '@maskgen/client';
import { contextOf, type CliDeps, type CommandContext } from '../context';
import { formatCell, printJson, printRecord, type Io } from '../output';
import { UsageError } from '../settings';
import { NotSucceeded, waitUntilFinished, type WaitOptions } from '../wait';
import { addPageOptions, addShowCommand, printPage, showStarted, waitable, type Followed } from './shared';

function targetText({ target }: Evaluation): string {
  return target.kind === 'run' ? `run ${target.runId}` : `dataset ${target.datasetId} (${target.split})`;
}

function showEvaluation(io: Io, json: boolean, evaluation: Evaluation): void {
  if (json) return printJson(io, evaluation);
  printRecord(io, [
    ['id', evaluation.id],
    ['status', evaluation.status],
    ['target', targetText(evaluation)],
    ['model', evaluation.modelId],
    ...Object.entries(evaluation.metrics),
    // The real-data value each metric is read against, e.g. "fid real data: real train vs test 0.8300 (…)".
    ...evaluation.details.flatMap((metric) => {
      const reference = metricReference(metric, formatCell);
      return reference === null ? [] : ([[`${metric.name} real data`, reference]] as [string, unknown][]);
    }),
    ...(evaluation.error ? ([['error', evaluation.error]] as [string, unknown][]) : []),
  ]);
}

function waitForEvaluation(context: CommandContext, id: string, options: WaitOptions): Promise<Evaluation> {
  const finished = (evaluation: Evaluation) => FINISHED_RUN_STATUSES.includes(evaluation.status);
  return waitUntilFinished(
    context,
    () => context.client.getEvaluation(id),
    (evaluation) => ({
      label: `evaluation ${id.slice(0, 8)}`,
      value: finished(evaluation) ? 1 : 0,
      total: 1,
      detail: evaluation.status,
    }),
    finished,
    options.interval,
    {
      seconds: options.reconnect,
      continues: `the evaluation continues on the server; see it with: maskgen eval show ${id}`,
    },
  );
}

/** With --wait: an evaluation that did not succeed is a failure (exit code 1). */
function assertSucceeded(evaluation: Evaluation): void {
  if (evaluation.status !== 'succeeded') {
    throw new NotSucceeded(
      `evaluation ${evaluation.id} ${evaluation.status}${evaluation.error ? `: ${evaluation.error}` : ''}`,
    );
  }
}

const EVALUATION: Followed<Evaluation> = {
  what: 'the evaluation',
  intervalMs: 1000,
  get: (client, id) => client.getEvaluation(id),
  show: showEvaluation,
  waitFor: waitForEvaluation,
  assertSucceeded,
};

export function evalCommand(deps: CliDeps): Command {
  const evaluations = new Command('eval').description('evaluate runs or dataset splits (FID, IS, CAS, ...)');

  waitable(
    evaluations
      .command('create')
      .description('evaluate the samples of a run, or a dataset split (optionally against a model)')
      .option('--run <id>', 'run to evaluate')
      .option('--dataset <id>', 'dataset to evaluate')
      .addOption(new Option('--split <s>', 'dataset split').choices(['train', 'test']).default('test'))
      .option('--model <id>', 'model to evaluate the dataset split against'),
    EVALUATION,
  ).action(
    async (
      options: WaitOptions & { run?: string; dataset?: string; split: 'train' | 'test'; model?: string },
      command: Command,
    ) => {
      if (!options.run === !options.dataset)
        throw new UsageError('Pass exactly one of --run <id> or --dataset <id>');
      const context = contextOf(command, deps);
      const created = await context.client.createEvaluation(
        options.run
          ? { runId: options.run }
          : {
              datasetId: options.dataset!,
              split: options.split,
              ...(options.model ? { modelId: options.model } : {}),
            },
      );
      await showStarted(context, created, options, EVALUATION);
    },
  );

  addPageOptions(evaluations.command('list').description("list the team's evaluations")).action(
    async (options: { offset: number; limit: number }, command: Command) => {
      const context = contextOf(command, deps);
      printPage(
        context,
        await context.client.listEvaluations(options),
        ['id', 'status', 'target', 'metrics'],
        (e) => [
          e.id,
          e.status,
          targetText(e),
          Object.entries(e.metrics)
            .map(([name, value]) => `${name}=${Number(value).toPrecision(4)}`)
            .join(' '),
        ],
      );
    },
  );

  addShowCommand(evaluations, deps, EVALUATION, 'one evaluation and its metrics');

  return evaluations;
}
