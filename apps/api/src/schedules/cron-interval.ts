import { defaultRepeatStrategy } from 'bullmq';

/** Firings looked at; the shortest gap of a cron pattern shows within its first few firings. */
const FIRINGS_CHECKED = 50;
/** ... or within a year, for patterns that fire rarely (each step costs a cron parse). */
const HORIZON_MS = 366 * 24 * 3600 * 1000;

export class InvalidCronError extends Error {}

/**
 * The shortest time in ms between two consecutive firings of a cron pattern, computed with BullMQ's own
 * repeat strategy (so exactly as the scheduler will fire it), over its next firings from `from`. Stops early
 * once a gap below `floorMs` is found. Infinity when it fires at most once. Throws InvalidCronError for a
 * pattern BullMQ cannot read.
 */
export function shortestCronInterval(pattern: string, tz: string, floorMs = 0, from = Date.now()): number {
  const next = (after: number) => defaultRepeatStrategy(after, { pattern, tz });
  let previous: number | undefined;
  try {
    previous = next(from);
  } catch (error) {
    throw new InvalidCronError(error instanceof Error ? error.message : String(error));
  }
  let shortest = Infinity;
  for (let i = 1; previous !== undefined && i < FIRINGS_CHECKED; i++) {
    let current: number | undefined;
    try {
      current = next(previous);
    } catch {
      break; // e.g. beyond the parser's date range: the firings seen so far decide
    }
    if (current === undefined) break;
    shortest = Math.min(shortest, current - previous);
    if (shortest < floorMs || current - from > HORIZON_MS) break;
    previous = current;
  }
  return shortest;
}
