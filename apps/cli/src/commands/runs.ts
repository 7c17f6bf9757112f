import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, Option } from 'commander';
import {
  betterLabel,
  CLASS_MODES,
  comparedRunLabel,
  ESS_PARAMS_EXAMPLE,
  ESS_VARIANTS,
  FINISHED_RUN_STATUSES,
  RUN_STATUSES,
  SAMPLER_METHODS,
  SYNTHETIC_GENERATORS,
  type ClassMode,
  type EssVariantName,
  type SamplerMethod,
  type SyntheticGenerator,
  engineLabel,
  essRows,
  metricReference,
  samplerLabel,
  type CreateRunRequest,
  type EssParams,
  type Run,
  type Sampler,
} from '@maskgen/client';
import { contextOf, integer, type CliDeps, type CommandContext } from '../context';
import { formatCell, printJson, printRecord, printTable, shortDuration, type Io } from '../output';
import { Progress } from '../progress';
import { UsageError } from '../settings';
import { NotSucceeded, waitUntilFinished, type WaitOptions } from '../wait';
import { addItemCommand, addPageOptions, printPage, showStarted, waitable, type Followed } from './shared';

export interface SamplerOptions {
  generator?: SyntheticGenerator;
  length?: number;
  model?: string;
  method?: SamplerMethod;
  classes?: ClassMode;
  ess?: string;
  essVariant?: EssVariantName;
}

/** Sampler flags shared by `runs create` and `schedules set`. */
export function addSamplerOptions(command: Command): Command {
  return command
    .addOption(new Option('--generator <g>', 'synthetic reference sampler').choices(SYNTHETIC_GENERATORS))
    .option('--length <n>', 'series length of the synthetic sampler', integer('--length', 1), 128)
    .option('--model <id>', 'sample from a trained model instead')
    .addOption(
      new Option('--method <m>', 'model sampler')
        .choices(SAMPLER_METHODS)
        .default('ess' satisfies SamplerMethod),
    )
    .addOption(new Option('--classes <c>', 'class conditioning').choices(CLASS_MODES))
    .addOption(
      new Option('--ess-variant <v>', 'ESS variant: R (released, the default) or D (keep-visible)').choices(
        ESS_VARIANTS,
      ),
    )
    .option('--ess <json>', `ESS parameters as JSON, e.g. '${ESS_PARAMS_EXAMPLE}'`);
}

export function samplerOf(options: SamplerOptions): Sampler {
  if (options.model && options.generator) {
    throw new UsageError('Choose one sampler: --generator (synthetic) or --model');
  }
  if (options.model) {
    let ess: EssParams | undefined;
    if (options.ess) {
      try {
        ess = JSON.parse(options.ess) as EssParams;
      } catch {
        throw new UsageError(`--ess must be JSON, got "${options.ess}"`);
      }
    }
    if (options.essVariant) ess = { ...ess, variant: options.essVariant };
    return {
      kind: 'model',
      modelId: options.model,
      method: options.method ?? 'ess',
      ...(options.classes ? { classes: options.classes } : {}),
      ...(ess ? { ess } : {}),
    };
  }
  if (!options.generator)
    throw new UsageError(
      `A sampler is required: --generator ${SYNTHETIC_GENERATORS.join('|')} or --model <id>`,
    );
  return {
    kind: 'synthetic',
    generator: options.generator,
    length: options.length ?? 128,
  };
}

function numSamplesOf(run: Run): unknown {
  return run.params.numSamples;
}

export function showRun(io: Io, json: boolean, run: Run): void {
  if (json) return printJson(io, run);
  printRecord(io, [
    ['id', run.id],
    ['status', run.status],
    ['sampler', samplerLabel(run)],
    ['samples', `${run.samplesStored} / ${formatCell(numSamplesOf(run))}`],
    [
      'shards',
      `${run.shards.succeeded} / ${run.shards.total} done, ${run.shards.running} running, ${run.shards.failed} failed`,
    ],
    ['progress', `${Math.round(run.progress * 100)}%`],
    ['seed', run.seed],
    ['created', run.timings.createdAt],
    ['started', run.timings.startedAt],
    ['finished', run.timings.finishedAt],
    ['duration', shortDuration(run.timings.durationMs)],
    ...(run.status === 'running'
      ? ([
          ['elapsed', shortDuration(run.timings.elapsedMs)],
          ['eta', shortDuration(run.timings.etaMs)],
        ] as [string, unknown][])
      : []),
    ...(run.provenance
      ? ([
          ['engine', engineLabel(run.provenance)],
          ['model hash', run.provenance.modelHash.slice(0, 12)],
          ['code', run.provenance.codeVersion],
        ] as [string, unknown][])
      : []),
    ...(run.ess ? essRows(run.ess) : []),
    ...(run.error ? ([['error', run.error]] as [string, unknown][]) : []),
  ]);
}

/**
 * Polls a run until it finishes, showing how far it is in samples (its progress, which moves inside a shard while
 * it samples and stores), the samples stored (a shard's all land at once when it completes), shards done, elapsed
 * time and ETA; returns the final run.
 */
export function waitForRun(context: CommandContext, id: string, options: WaitOptions): Promise<Run> {
  return waitUntilFinished(
    context,
    () => context.client.getRun(id),
    (run) => {
      const total = Number(numSamplesOf(run)) || run.samplesStored;
      return {
        label: `run ${run.id.slice(0, 8)}`,
        value: run.status === 'succeeded' ? run.samplesStored : Math.round(run.progress * total),
        total,
        detail: [
          `samples ${Math.round(run.progress * 100)}%`,
          `stored ${run.samplesStored}`,
          `shards ${run.shards.succeeded}/${run.shards.total}`,
          `elapsed ${shortDuration(run.timings.elapsedMs)}`,
          ...(run.timings.etaMs === null ? [] : [`ETA ${shortDuration(run.timings.etaMs)}`]),
          run.status,
        ].join(' | '),
      };
    },
    (run) => FINISHED_RUN_STATUSES.includes(run.status),
    options.interval,
    {
      seconds: options.reconnect,
      continues: `the run continues on the server; see it with: maskgen runs show ${id}`,
    },
  );
}

/** With --wait: failures and cancellations are not a success for a script (exit code 1). */
function assertSucceeded(run: Run): void {
  if (run.status === 'failed') throw new NotSucceeded(`run ${run.id} failed: ${run.error ?? 'no message'}`);
  if (run.status === 'cancelled') throw new NotSucceeded(`run ${run.id} was cancelled`);
}

const RUN: Followed<Run> = {
  what: 'the run',
  intervalMs: 1000,
  get: (client, id) => client.getRun(id),
  show: showRun,
  waitFor: waitForRun,
  assertSucceeded,
};

export function runsCommand(deps: CliDeps): Command {
  const runs = new Command('runs').description('start, watch, cancel and export generation runs');

  waitable(
    addSamplerOptions(runs.command('create').description('start a generation run'))
      .requiredOption('--samples <n>', 'number of samples', integer('--samples', 1))
      .option('--shard-size <n>', 'samples per shard', integer('--shard-size', 1))
      .option('--seed <n>', 'random seed', integer('--seed'))
      .option('--priority <n>', '1-10, 10 is the most urgent', integer('--priority', 1)),
    RUN,
  ).action(
    async (
      options: SamplerOptions &
        WaitOptions & { samples: number; shardSize?: number; seed?: number; priority?: number },
      command: Command,
    ) => {
      const context = contextOf(command, deps);
      const request: CreateRunRequest = {
        sampler: samplerOf(options),
        numSamples: options.samples,
        ...(options.shardSize !== undefined ? { shardSize: options.shardSize } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.priority !== undefined ? { priority: options.priority } : {}),
      };
      const created = await context.client.createRun(request);
      await showStarted(context, created, options, RUN, 'started run');
    },
  );

  addPageOptions(
    runs
      .command('list')
      .description("list the team's runs, newest first")
      .addOption(new Option('--status <s>', 'only runs in this status').choices(RUN_STATUSES)),
    'rows (at most 500)',
  ).action(async (options: { status?: string; offset: number; limit: number }, command: Command) => {
    const context = contextOf(command, deps);
    printPage(
      context,
      await context.client.listRuns(options),
      ['id', 'status', 'sampler', 'samples', 'shards', 'created', 'duration'],
      (run) => [
        run.id,
        run.status,
        samplerLabel(run),
        run.samplesStored,
        `${run.shards.succeeded}/${run.shards.total}`,
        run.timings.createdAt,
        shortDuration(run.timings.durationMs),
      ],
    );
  });

  waitable(
    runs.command('show <id>').description('status, progress, timings and metrics of one run'),
    RUN,
  ).action(async (id: string, options: WaitOptions, command: Command) => {
    const context = contextOf(command, deps);
    const run = options.wait ? await waitForRun(context, id, options) : await context.client.getRun(id);
    const metrics = (await context.client.runMetrics(id)).items;
    if (context.settings.json) printJson(context.io, { ...run, metrics });
    else {
      showRun(context.io, false, run);
      if (metrics.length > 0) {
        // CAS and critic distance are read against the model's own real-data figures.
        const sampler = run.params.sampler;
        const model =
          sampler?.kind === 'model' && sampler.modelId
            ? await context.client.getModel(String(sampler.modelId)).catch(() => undefined)
            : undefined;
        printTable(
          context.io,
          ['metric', 'value', 'real data'],
          metrics.map((m) => [m.name, m.value, metricReference(m, formatCell, model?.metrics) ?? '']),
        );
      }
    }
    if (options.wait) assertSucceeded(run);
  });

  runs
    .command('samples <id>')
    .description(
      "one page of a run's samples with their mean critic code distance, before and after ESS, flagging those ESS made worse",
    )
    .option('--worse', 'only the samples ESS made worse in the critic’s eyes')
    .option('--offset <n>', 'first sample index', integer('--offset'), 0)
    .option('--limit <n>', 'samples (at most 1000)', integer('--limit', 1), 20)
    .action(
      async (id: string, options: { worse?: boolean; offset: number; limit: number }, command: Command) => {
        const context = contextOf(command, deps);
        const page = await context.client.samples(id, {
          offset: options.offset,
          limit: options.limit,
          ...(options.worse ? { worse: true } : {}),
        });
        if (context.settings.json) return printJson(context.io, page);
        printTable(
          context.io,
          ['index', 'class', 'critic before ESS', 'critic after', 'ESS made it'],
          page.items.map((sample) => [
            sample.index,
            sample.classIndex,
            sample.critic?.meanBeforeEss,
            sample.critic?.mean,
            sample.critic?.worseUnderEss === true
              ? 'WORSE'
              : sample.critic?.worseUnderEss === false
                ? 'better or same'
                : null,
          ]),
        );
        context.io.stdout.write(
          `${page.items.length} of ${page.total} ${options.worse ? 'samples ESS made worse' : 'samples'} from index ${page.offset}; ` +
            'critic = mean LF code distance (lower looks more real)\n',
        );
      },
    );

  const cancel = 'cancel a queued or running run (stored samples are kept)';
  addItemCommand(runs, deps, { name: 'cancel <id>', description: cancel, show: showRun }, (client, id) =>
    client.cancelRun(id),
  );
  const retry = "re-enqueue a failed run's unfinished shards";
  addItemCommand(runs, deps, { name: 'retry <id>', description: retry, show: showRun }, (client, id) =>
    client.retryRun(id),
  );

  runs
    .command('compare <ids...>')
    .description(
      "metrics of two or more runs side by side; groups of runs (sampling seeds) as 'a1,a2,a3;b1,b2,b3' get a pooled FID and its difference with a 95 % CI",
    )
    .action(async (ids: string[], _options: unknown, command: Command) => {
      const context = contextOf(command, deps);
      const text = ids.join(',');
      const answer = await context.client.compareRuns(
        text.includes(';') ? text.split(';').map((group) => group.split(',').filter(Boolean)) : ids,
      );
      const compared = answer.runs;
      if (context.settings.json) return printJson(context.io, answer);
      for (const c of answer.comparisons) {
        const verdict =
          c.better === null
            ? 'no difference shown'
            : `group ${c.better === 'other' ? c.other : c.baseline} better`;
        context.io.stdout.write(
          `FID group ${c.baseline} − group ${c.other}: ${c.difference.toFixed(3)} [${c.ci.low.toFixed(3)}, ${c.ci.high.toFixed(3)}] (${c.ci.level * 100} % paired bootstrap, ${c.ci.replicates} replicates, ${c.pairedSamples} pairs): ${verdict}\n`,
        );
      }
      const names = [...new Set(compared.flatMap((run) => Object.keys(run.metrics)))].sort();
      printTable(
        context.io,
        ['metric', ...compared.map(comparedRunLabel)],
        [
          ['status', ...compared.map((run) => run.status)],
          ['sampler', ...compared.map((run) => JSON.stringify(run.sampler))],
          // "fid (lower is better)"; bookkeeping figures (counts, means) carry no direction.
          ...names.map((name) => [
            answer.betterDirection[name] ? `${name} (${betterLabel(answer.betterDirection[name])})` : name,
            ...compared.map((run) => run.metrics[name]),
          ]),
        ],
      );
    });

  runs
    .command('export <id>')
    .description('write the samples of a run as CSV, NumPy .npy or JSON')
    .addOption(new Option('--format <f>', 'file format').choices(['csv', 'npy', 'json']).default('csv'))
    .option('-o, --output <file>', 'write here instead of stdout')
    .option('--offset <n>', 'first sample index', integer('--offset'), 0)
    .option('--limit <n>', 'number of samples (default all)', integer('--limit', 1))
    .action(
      async (
        id: string,
        options: { format: 'csv' | 'npy' | 'json'; output?: string; offset: number; limit?: number },
        command: Command,
      ) => {
        const context = contextOf(command, deps);
        if (options.format === 'npy' && !options.output && context.io.stdout.isTTY) {
          throw new UsageError('Refusing to write binary .npy data to a terminal: pass --output <file>');
        }
        const sink = options.output ? createWriteStream(options.output) : context.io.stdout;
        const written =
          options.format === 'json'
            ? await exportJson(context, id, options, sink)
            : await exportStream(context, id, { ...options, format: options.format }, sink);
        if (options.output) {
          await new Promise<void>((resolve, reject) =>
            (sink as NodeJS.WritableStream).end((error?: Error | null) =>
              error ? reject(error) : resolve(),
            ),
          );
          if (context.settings.json)
            printJson(context.io, { id, format: options.format, output: options.output, samples: written });
          else context.io.stderr.write(`wrote ${written} samples to ${options.output}\n`);
        }
      },
    );

  return runs;
}

async function exportStream(
  context: CommandContext,
  id: string,
  options: { format: 'csv' | 'npy'; offset: number; limit?: number },
  sink: NodeJS.WritableStream,
): Promise<number> {
  const response = await context.client.raw('GET', `/runs/${encodeURIComponent(id)}/samples`, {
    query: { format: options.format, offset: options.offset, limit: options.limit },
  });
  const count = Number(response.headers.get('x-sample-count') ?? 0);
  if (!response.body) return 0;
  await pipeline(Readable.fromWeb(response.body), sink, {
    end: false,
  });
  return count;
}

/** JSON pages of at most 1000 samples, written as one array without holding the run in memory. */
async function exportJson(
  context: CommandContext,
  id: string,
  options: { offset: number; limit?: number },
  sink: NodeJS.WritableStream,
): Promise<number> {
  const progress = new Progress(context.io, !context.settings.json && sink !== context.io.stdout);
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => sink.write(text, (error) => (error ? reject(error) : resolve())));
  let offset = options.offset;
  let written = 0;
  await write('[');
  try {
    for (;;) {
      const wanted = options.limit === undefined ? 1000 : Math.min(1000, options.limit - written);
      if (wanted <= 0) break;
      const page = await context.client.samples(id, { offset, limit: wanted });
      for (const sample of page.items) {
        await write(`${written === 0 ? '\n' : ',\n'}${JSON.stringify(sample)}`);
        written += 1;
      }
      const total =
        options.limit === undefined ? page.total - options.offset : Math.min(options.limit, page.total);
      progress.update('export', written, total, 'samples');
      if (page.items.length < wanted) break;
      offset += page.items.length;
    }
  } finally {
    progress.stop();
  }
  await write('\n]\n');
  return written;
}
