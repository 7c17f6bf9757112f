import { Command } from 'commander';
import { contextOf, integer, type CliDeps } from '../context';
import { printJson, printRecord, printTable } from '../output';
import { addSamplerOptions, samplerOf, type SamplerOptions } from './runs';
import { addDeleteCommand, onArgument } from './shared';

export function schedulesCommand(deps: CliDeps): Command {
  const schedules = new Command('schedules').description('cron schedules that start generation runs');

  schedules
    .command('list')
    .description("list the team's schedules and their next firing")
    .action(async (_options: unknown, command: Command) => {
      const context = contextOf(command, deps);
      const { items } = await context.client.listSchedules();
      if (context.settings.json) return printJson(context.io, { items });
      printTable(
        context.io,
        ['name', 'cron', 'timezone', 'next run', 'samples', 'sampler'],
        items.map((s) => [s.name, s.cron, s.timezone, s.nextRunAt, s.run?.numSamples, s.run?.sampler]),
      );
    });

  addSamplerOptions(schedules.command('set <name>').description('create or replace a schedule'))
    .requiredOption('--cron <pattern>', 'cron pattern, e.g. "0 2 * * *"')
    .option('--timezone <zone>', 'IANA time zone of the pattern', 'UTC')
    .requiredOption('--samples <n>', 'samples per run', integer('--samples', 1))
    .option('--shard-size <n>', 'samples per shard', integer('--shard-size', 1))
    .option('--seed <n>', 'random seed', integer('--seed'))
    .action(
      async (
        name: string,
        options: SamplerOptions & {
          cron: string;
          timezone: string;
          samples: number;
          shardSize?: number;
          seed?: number;
        },
        command: Command,
      ) => {
        const context = contextOf(command, deps);
        const schedule = await context.client.putSchedule(name, {
          cron: options.cron,
          timezone: options.timezone,
          run: {
            sampler: samplerOf(options),
            numSamples: options.samples,
            ...(options.shardSize !== undefined ? { shardSize: options.shardSize } : {}),
            ...(options.seed !== undefined ? { seed: options.seed } : {}),
          },
        });
        if (context.settings.json) return printJson(context.io, schedule);
        printRecord(context.io, [
          ['name', schedule.name],
          ['cron', schedule.cron],
          ['timezone', schedule.timezone],
          ['run', schedule.run],
        ]);
      },
    );

  addDeleteCommand(schedules, deps, 'schedule', 'remove a schedule');

  schedules
    .command('history <name>')
    .description('runs started by a schedule and their metrics')
    .action(
      onArgument(deps, async (context, name) => {
        const history = await context.client.scheduleHistory(name);
        if (context.settings.json) return printJson(context.io, history);
        const metricNames = [...new Set(history.flatMap((entry) => Object.keys(entry.metrics ?? {})))].sort();
        printTable(
          context.io,
          ['run', 'created', 'status', ...metricNames],
          history.map((entry) => [
            entry.runId,
            entry.createdAt,
            entry.status,
            ...metricNames.map((m) => entry.metrics?.[m]),
          ]),
        );
      }),
    );

  return schedules;
}
