import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import type { Dataset } from '@maskgen/client';
import { contextOf, integer, type CliDeps, type CommandContext } from '../context';
import { pageFooter, printJson, printRecord, printTable } from '../output';

function showDataset(context: CommandContext, dataset: Dataset): void {
  if (context.settings.json) return printJson(context.io, dataset);
  printRecord(context.io, [
    ['id', dataset.id],
    ['name', dataset.name],
    ['source', dataset.sourceKind],
    ['length', dataset.seriesLength],
    ['train', dataset.trainCount],
    ['test', dataset.testCount],
    ['classes', dataset.classNames.join(', ')],
    ['created', dataset.createdAt],
  ]);
}

export function datasetsCommand(deps: CliDeps): Command {
  const datasets = new Command('datasets').description('upload, import, list and delete datasets');

  datasets
    .command('list')
    .description("list the team's datasets")
    .option('--offset <n>', 'first row', integer('--offset'), 0)
    .option('--limit <n>', 'rows (at most 500)', integer('--limit', 1), 50)
    .action(async (options: { offset: number; limit: number }, command: Command) => {
      const context = contextOf(command, deps);
      const page = await context.client.listDatasets(options);
      if (context.settings.json) return printJson(context.io, page);
      printTable(
        context.io,
        ['id', 'name', 'source', 'length', 'train', 'test', 'classes'],
        page.items.map((d) => [
          d.id,
          d.name,
          d.sourceKind,
          d.seriesLength,
          d.trainCount,
          d.testCount,
          d.classNames.length,
        ]),
      );
      pageFooter(context.io, page);
    });

  datasets
    .command('upload')
    .description('upload a UCR dataset from a train and a test file (.tsv or .ts)')
    .requiredOption('--train <file>', 'training split')
    .requiredOption('--test <file>', 'test split')
    .option('--name <name>', 'dataset name (default: the train file name without _TRAIN and extension)')
    .addOption(new Option('--missing <policy>', 'missing values').choices(['reject', 'interpolate']))
    .addOption(new Option('--length <policy>', 'unequal lengths').choices(['reject', 'resample']))
    .action(
      async (
        options: { train: string; test: string; name?: string; missing?: string; length?: string },
        command: Command,
      ) => {
        const context = contextOf(command, deps);
        const form = new FormData();
        const name = options.name ?? path.basename(options.train).replace(/(_TRAIN)?(\.[^.]+)*$/i, '');
        form.append('name', name);
        if (options.missing) form.append('missing', options.missing);
        if (options.length) form.append('length', options.length);
        form.append('train', new Blob([await readFile(options.train)]), path.basename(options.train));
        form.append('test', new Blob([await readFile(options.test)]), path.basename(options.test));
        showDataset(context, await context.client.uploadDataset(form));
      },
    );

  datasets
    .command('builtin <dataset>')
    .description('import a vendored UCR dataset (CBF, ECG200, GunPoint, ItalyPowerDemand)')
    .option('--name <name>', 'dataset name (default: the dataset)')
    .action(async (dataset: string, options: { name?: string }, command: Command) => {
      const context = contextOf(command, deps);
      showDataset(context, await context.client.builtinDataset({ dataset, name: options.name }));
    });

  datasets
    .command('synthetic <name>')
    .description('create a dataset from a built-in synthetic generator')
    .addOption(
      new Option('--generator <g>', 'generator').choices(['cbf', 'synthetic-control']).default('cbf'),
    )
    .option('--length <n>', 'series length', integer('--length', 1))
    .option('--train-per-class <n>', 'training series per class', integer('--train-per-class', 1), 30)
    .option('--test-per-class <n>', 'test series per class', integer('--test-per-class', 1), 30)
    .option('--seed <n>', 'random seed', integer('--seed'), 0)
    .action(
      async (
        name: string,
        options: {
          generator: string;
          length?: number;
          trainPerClass: number;
          testPerClass: number;
          seed: number;
        },
        command: Command,
      ) => {
        const context = contextOf(command, deps);
        showDataset(context, await context.client.syntheticDataset({ name, ...options }));
      },
    );

  datasets
    .command('show <id>')
    .description('one dataset')
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = contextOf(command, deps);
      showDataset(context, await context.client.getDataset(id));
    });

  datasets
    .command('delete <id>')
    .description('delete a dataset (refused while a model uses it)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const context = contextOf(command, deps);
      await context.client.deleteDataset(id);
      if (context.settings.json) printJson(context.io, { id, deleted: true });
      else context.io.stdout.write(`deleted dataset ${id}\n`);
    });

  return datasets;
}
