import Table from 'cli-table3';

/** Where commands write: stdout for results, stderr for progress and errors. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    return Math.abs(value) >= 1000 || Math.abs(value) < 0.001 ? value.toExponential(3) : value.toFixed(4);
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? '';
}

/** A plain (uncoloured) table with a header row. */
export function printTable(io: Io, head: string[], rows: unknown[][]): void {
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map(formatCell));
  io.stdout.write(`${table.toString()}\n`);
}

/** A two-column key/value table for one object. */
export function printRecord(io: Io, entries: [string, unknown][]): void {
  const table = new Table({ style: { head: [], border: [] } });
  for (const [key, value] of entries) table.push({ [key]: formatCell(value) });
  io.stdout.write(`${table.toString()}\n`);
}

export function pageFooter(io: Io, page: { items: unknown[]; total: number; offset: number }): void {
  if (page.total > page.items.length) {
    const last = page.offset + page.items.length;
    io.stdout.write(`${page.offset + 1}-${last} of ${page.total} (use --offset/--limit for more)\n`);
  }
}

export function shortDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
