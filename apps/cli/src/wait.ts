import type { Command } from 'commander';
import { integer, type CommandContext } from './context';
import { Progress } from './progress';

/** `--wait` and `--interval`, the same on every command that can wait for work to finish. */
export function addWaitOptions(command: Command, what: string, defaultIntervalMs: number): Command {
  return command
    .option('--wait', `wait for ${what} to finish, showing progress`)
    .option('--interval <ms>', 'polling interval with --wait', integer('--interval', 50), defaultIntervalMs);
}

export interface WaitOptions {
  wait?: boolean;
  interval: number;
}

/** What one poll shows on the progress bar: `label [bar] value/total detail`. */
export interface ProgressView {
  label: string;
  value: number;
  total: number;
  detail: string;
}

/**
 * Polls `read` every `intervalMs` until `finished` says so, showing each answer on a progress bar
 * (stderr; silent with --json), and returns the last answer.
 */
export async function waitUntilFinished<T>(
  context: CommandContext,
  read: () => Promise<T>,
  view: (item: T) => ProgressView,
  finished: (item: T) => boolean,
  intervalMs: number,
): Promise<T> {
  const progress = new Progress(context.io, !context.settings.json);
  try {
    for (;;) {
      const item = await read();
      const shown = view(item);
      progress.update(shown.label, shown.value, shown.total, shown.detail);
      if (finished(item)) return item;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  } finally {
    progress.stop();
  }
}

/** Work that was waited for ended without succeeding (run failed, training cancelled, ...): exit code 1. */
export class NotSucceeded extends Error {
  override name = 'NotSucceeded';
}
