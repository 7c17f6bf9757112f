import { Command, Option } from 'commander';
import type { Evaluation } from '@maskgen/client';
import { contextOf, integer, type CliDeps, type CommandContext } from '../context';
import { pageFooter, printJson, printRecord, printTable, type Io } from '../output';
import { Progress, sleep } from '../progress';
import { UsageError } from '../settings';

const FINISHED = ['succeeded', 'failed', 'cancelled'];

function metricEntries(metrics: Evaluation['metrics']): [string, number][] {
  return Object.entries(metrics ?? {});
}

function targetText(evaluation: Evaluation): string {
  const target = evaluation.target;
  if (!target) return '-';
  if (target.runId) return `run ${target.runId}`;
  return `dataset ${target.datasetId ?? '-'} (${target.split ?? '-'})`;
}

function showEvaluation(io: Io, json: boolean, evaluation: Evaluation): void {
  if (json) return printJson(io, evaluation);
  printRecord(io, [
    ['id', evaluation.id],
    ['status', evaluation.status],
    ['target', targetText(evaluation)],
    ['model', evaluation.modelId ?? evaluation.target?.modelId],
    ...metricEntries(evaluation.metrics),
    ...(evaluation.error ? ([['error', evaluation.error]] as [string, unknown][]) : []),
  ]);
}

async function waitForEvaluation(
  context: CommandContext,
  id: string,
  intervalMs: number,
): Promise<Evaluation> {
  const progress = new Progress(context.io, !context.settings.json);
  try {
    for (;;) {
      const evaluation = await context.client.getEvaluation(id);
      progress.update(
        `evaluation ${id.slice(0, 8)}`,
        FINISHED.includes(evaluation.status) ? 1 : 0,
        1,
        evaluation.status,
      );
      if (FINISHED.includes(evaluation.status)) return evaluation;
      await sleep(intervalMs);
    }
  } finally {
    progress.stop();
  }
}

export class EvaluationNotSucceeded extends Error {
  override name = 'EvaluationNotSucceeded';
}

export function evalCommand(deps: CliDeps): Command {
  const evaluations = new Command('eval').description('evaluate runs or dataset splits (FID, IS, CAS, ...)');

  evaluations
    .command('create')
    .description('evaluate the samples of a run, or a dataset split (optionally against a model)')
    .option('--run <id>', 'run to evaluate')
    .option('--dataset <id>', 'dataset to evaluate')
    .addOption(new Option('--split <s>', 'dataset split').choices(['train', 'test']).default('test'))
    .option('--model <id>', 'model to evaluate the dataset split against')
    .option('--wait', 'wait for the evaluation to finish')
    .option('--interval <ms>', 'polling interval with --wait', integer('--interval', 50), 1000)
    .action(
      async (
        options: {
          run?: string;
          dataset?: string;
          split: 'train' | 'test';
          model?: string;
          wait?: boolean;
          interval: number;
        },
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
        if (!options.wait) return showEvaluation(context.io, context.settings.json, created);
        const finished = await waitForEvaluation(context, created.id, options.interval);
        showEvaluation(context.io, context.settings.json, finished);
        if (finished.status !== 'succeeded') {
          throw new EvaluationNotSucceeded(
            `evaluation ${finished.id} ${finished.status}${finished.error ? `: ${finished.error}` : ''}`,
          );
        }
      },
    );

  evaluations
    .command('list')
    .description("list the team's evaluations")
    .option('--offset <n>', 'first row', integer('--offset'), 0)
    .option('--limit <n>', 'rows', integer('--limit', 1), 50)
    .action(async (options: { offset: number; limit: number }, command: Command) => {
      const context = contextOf(command, deps);
      const page = await context.client.listEvaluations(options);
      if (context.settings.json) return printJson(context.io, page);
      printTable(
        context.io,
        ['id', 'status', 'target', 'metrics'],
        page.items.map((e) => [
          e.id,
          e.status,
          targetText(e),
          metricEntries(e.metrics)
            .map(([name, value]) => `${name}=${Number(value).toPrecision(4)}`)
            .join(' '),
        ]),
      );
      pageFooter(context.io, page);
    });

  evaluations
    .command('show <id>')
    .description('one evaluation and its metrics')
    .option('--wait', 'wait for the evaluation to finish')
    .option('--interval <ms>', 'polling interval with --wait', integer('--interval', 50), 1000)
    .action(async (id: string, options: { wait?: boolean; interval: number }, command: Command) => {
      const context = contextOf(command, deps);
      const evaluation = options.wait
        ? await waitForEvaluation(context, id, options.interval)
        : await context.client.getEvaluation(id);
      showEvaluation(context.io, context.settings.json, evaluation);
    });

  return evaluations;
}
