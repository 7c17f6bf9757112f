import type { Command } from 'commander';
import type { MaskgenClient, Page } from '@maskgen/client';
import { contextOf, integer, type CliDeps, type CommandContext } from '../context';
import { pageFooter, printJson, printTable, type Io } from '../output';
import { addWaitOptions, type WaitOptions } from '../wait';

/** The action of a subcommand that takes one argument (an id or a name) and no options of its own. */
export function onArgument(
  deps: CliDeps,
  run: (context: CommandContext, argument: string) => Promise<void>,
): (argument: string, options: unknown, command: Command) => Promise<void> {
  return (argument, _options, command) => run(contextOf(command, deps), argument);
}

/** What `delete` removes, by noun: the argument it takes and the request. */
const DELETABLE = {
  dataset: { key: 'id', remove: (client: MaskgenClient, id: string) => client.deleteDataset(id) },
  model: { key: 'id', remove: (client: MaskgenClient, id: string) => client.deleteModel(id) },
  schedule: { key: 'name', remove: (client: MaskgenClient, name: string) => client.deleteSchedule(name) },
} as const;

/** `delete <id>` (or `<name>`): deletes one thing and says so; `{ id, deleted: true }` with --json. */
export function addDeleteCommand(
  parent: Command,
  deps: CliDeps,
  noun: keyof typeof DELETABLE,
  description: string,
): void {
  const { key, remove } = DELETABLE[noun];
  parent
    .command(`delete <${key}>`)
    .description(description)
    .action(
      onArgument(deps, async (context, value) => {
        await remove(context.client, value);
        if (context.settings.json) printJson(context.io, { [key]: value, deleted: true });
        else context.io.stdout.write(`deleted ${noun} ${value}\n`);
      }),
    );
}

/** `<verb> <id>`: one request about one item (show, cancel, retry), which the command then shows. */
export function addItemCommand<T>(
  parent: Command,
  deps: CliDeps,
  spec: { name: string; description: string; show: (io: Io, json: boolean, item: T) => void },
  request: (client: MaskgenClient, id: string) => Promise<T>,
): void {
  parent
    .command(spec.name)
    .description(spec.description)
    .action(
      onArgument(deps, async (context, id) => {
        spec.show(context.io, context.settings.json, await request(context.client, id));
      }),
    );
}

/** `--offset` and `--limit` of a list command. */
export function addPageOptions(command: Command, limitHelp = 'rows'): Command {
  return command
    .option('--offset <n>', 'first row', integer('--offset'), 0)
    .option('--limit <n>', limitHelp, integer('--limit', 1), 50);
}

/** One page of a list: as JSON, or as a table with a footer that points at the rows not shown. */
export function printPage<T>(
  context: CommandContext,
  page: Page<T>,
  head: string[],
  row: (item: T) => unknown[],
): void {
  if (context.settings.json) return printJson(context.io, page);
  printTable(context.io, head, page.items.map(row));
  pageFooter(context.io, page);
}

/** How a command shows something that runs on the server (a run, a model, an evaluation) and waits for it. */
export interface Followed<T> {
  /** What --wait waits for, e.g. "training", and how often it asks (ms). */
  what: string;
  intervalMs: number;
  get(client: MaskgenClient, id: string): Promise<T>;
  show(io: Io, json: boolean, item: T): void;
  /** Polls it until it finished, showing progress. */
  waitFor(context: CommandContext, id: string, options: WaitOptions): Promise<T>;
  /** With --wait: throws NotSucceeded (exit code 1) unless it ended well. */
  assertSucceeded(item: T): void;
}

/** Adds --wait and its options, for what `followed` describes. */
export function waitable<T>(command: Command, followed: Followed<T>): Command {
  return addWaitOptions(command, followed.what, followed.intervalMs);
}

/**
 * What a create command started: shown at once or, with --wait, followed to its end (`started` said on stderr
 * first), then shown and a failure unless it ended well.
 */
export async function showStarted<T extends { id: string }>(
  context: CommandContext,
  created: T,
  options: WaitOptions,
  followed: Followed<T>,
  started?: string,
): Promise<void> {
  const { io, settings } = context;
  if (!options.wait) return followed.show(io, settings.json, created);
  if (started !== undefined && !settings.json) io.stderr.write(`${started} ${created.id}\n`);
  const finished = await followed.waitFor(context, created.id, options);
  followed.show(io, settings.json, finished);
  followed.assertSucceeded(finished);
}

/** `show <id>`: shows it as it is or, with --wait, once it finished, and then fails unless it ended well. */
export function addShowCommand<T>(
  parent: Command,
  deps: CliDeps,
  followed: Followed<T>,
  description: string,
): void {
  waitable(parent.command('show <id>').description(description), followed).action(
    async (id: string, options: WaitOptions, command: Command) => {
      const context = contextOf(command, deps);
      const item = options.wait
        ? await followed.waitFor(context, id, options)
        : await followed.get(context.client, id);
      followed.show(context.io, context.settings.json, item);
      if (options.wait) followed.assertSucceeded(item);
    },
  );
}
