import type { Command } from 'commander';
import { ApiError } from '@maskgen/client';
import { integer, type CommandContext } from './context';
import { Progress } from './progress';

/** `--wait` and `--interval`, the same on every command that can wait for work to finish. */
export function addWaitOptions(command: Command, what: string, defaultIntervalMs: number): Command {
  return command
    .option('--wait', `wait for ${what} to finish, showing progress`)
    .option('--interval <ms>', 'polling interval with --wait', integer('--interval', 50), defaultIntervalMs)
    .option(
      '--reconnect <seconds>',
      'with --wait, how long to keep reconnecting to a server that stopped answering',
      integer('--reconnect'),
      DEFAULT_RECONNECT_SECONDS,
    );
}

/** A restarting local server (Ctrl-C, then npm start) is back well within this. */
export const DEFAULT_RECONNECT_SECONDS = 60;
const RECONNECT_FIRST_DELAY_MS = 250;
const RECONNECT_MAX_DELAY_MS = 5000;

export interface WaitOptions {
  wait?: boolean;
  interval: number;
  reconnect: number;
}

/** How waiting survives a server that stops answering for a while. */
export interface ReconnectOptions {
  /** Seconds to keep trying (0: give up at once). */
  readonly seconds: number;
  /** Said when giving up: the work goes on without us, e.g. "training continues on the server; …". */
  readonly continues: string;
}

/** The server is not answering (down, restarting, or behind a proxy that says so), as opposed to refusing. */
function connectionLost(error: unknown): error is ApiError {
  return error instanceof ApiError && [0, 502, 503, 504].includes(error.status);
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
 * (stderr; silent with --json), and returns the last answer. A lost connection is retried with backoff for
 * `reconnect.seconds`; then it fails, saying the work continues on the server.
 */
export async function waitUntilFinished<T>(
  context: CommandContext,
  read: () => Promise<T>,
  view: (item: T) => ProgressView,
  finished: (item: T) => boolean,
  intervalMs: number,
  reconnect: ReconnectOptions,
): Promise<T> {
  const progress = new Progress(context.io, !context.settings.json);
  const say = (line: string) => {
    if (context.settings.json) return;
    progress.stop();
    context.io.stderr.write(`${line}\n`);
  };
  let lostSince: number | undefined;
  let delayMs = RECONNECT_FIRST_DELAY_MS;
  try {
    for (;;) {
      let item: T;
      try {
        item = await read();
      } catch (error) {
        if (!connectionLost(error)) throw error;
        const now = Date.now();
        if (lostSince === undefined) {
          lostSince = now;
          say(`lost the connection (${error.message}); reconnecting for up to ${reconnect.seconds} s`);
        }
        const left = lostSince + reconnect.seconds * 1000 - now;
        if (left <= 0) {
          throw new ApiError(
            error.status,
            `${error.message}; gave up reconnecting after ${reconnect.seconds} s. ${reconnect.continues}`,
            error.path,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(delayMs, left)));
        delayMs = Math.min(2 * delayMs, RECONNECT_MAX_DELAY_MS);
        continue;
      }
      if (lostSince !== undefined) {
        say(`reconnected after ${Math.round((Date.now() - lostSince) / 1000)} s`);
        lostSince = undefined;
        delayMs = RECONNECT_FIRST_DELAY_MS;
      }
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
