import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { SYNTHETIC_GENERATORS, type Dataset, type SyntheticGenerator } from '@maskgen/client';
import { contextOf, integer, type CliDeps } from '../context';
import { printJson, printRecord, type Io } from '../output';
import { addDeleteCommand, addItemCommand, addPageOptions, printPage } from './shared';

function showDataset(io: Io, json: boolean, dataset: Dataset): void {
  if (json) return printJson(io, dataset);
  printRecord(io, [
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

  addPageOptions(
    datasets.command('list').description("list the team's datasets"),
    'rows (at most 500)',
  ).action(async (options: { offset: number; limit: number }, command: Command) => {
    const context = contextOf(command, deps);
    printPage(
      context,
      await context.client.listDatasets(options),
      ['id', 'name', 'source', 'length', 'train', 'test', 'classes'],
      (d) => [d.id, d.name, d.sourceKind, d.seriesLength, d.trainCount, d.testCount, d.classNames.length],
    );
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
        showDataset(context.io, context.settings.json, await context.client.uploadDataset(form));
      },
    );

  datasets
    .command('builtin <dataset>')
    .description('import a vendored UCR dataset (CBF, ECG200, GunPoint, ItalyPowerDemand)')
    .option('--name <name>', 'dataset name (default: the dataset)')
    .action(async (dataset: string, options: { name?: string }, command: Command) => {
      const context = contextOf(command, deps);
      showDataset(
        context.io,
        context.settings.json,
        await context.client.builtinDataset({ dataset, name: options.name }),
      );
    });

  datasets
    .command('synthetic <name>')
    .description('create a dataset from a built-in synthetic generator')
    .addOption(
      new Option('--generator <g>', 'generator')
        .choices(SYNTHETIC_GENERATORS)
        .default('cbf' satisfies SyntheticGenerator),
    )
    .option('--length <n>', 'series length', integer('--length', 1))
    .option('--train-per-class <n>', 'training series per class', integer('--train-per-class', 1), 30)
    .option('--test-per-class <n>', 'test series per class', integer('--test-per-class', 1), 30)
    .option('--seed <n>', 'random seed', integer('--seed'), 0)
    .action(
      async (
        name: string,
        options: {
          generator: SyntheticGenerator;
          length?: number;
          trainPerClass: number;
          testPerClass: number;
          seed: number;
        },
        command: Command,
      ) => {
        const context = contextOf(command, deps);
        showDataset(
          context.io,
          context.settings.json,
          await context.client.syntheticDataset({ name, ...options }),
        );
      },
    );

  addItemCommand(
    datasets,
    deps,
    { name: 'show <id>', description: 'one dataset', show: showDataset },
    (client, id) => client.getDataset(id),
  );
  addDeleteCommand(datasets, deps, 'dataset', 'delete a dataset (refused while a model uses it)');

  return datasets;
}
