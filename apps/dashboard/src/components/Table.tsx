import type { ComponentChildren } from 'preact';

/** A header cell: its text, right-aligned for numbers (`num`), or read to screen readers only (`hidden`). */
export type Column = string | { label: string; num?: boolean; hidden?: boolean };

function HeaderCell({ column }: { column: Column }) {
  const { label, num, hidden } = typeof column === 'string' ? { label: column } : column;
  return (
    <th scope="col" class={num ? 'num' : undefined}>
      {hidden ? <span class="visually-hidden">{label}</span> : label}
    </th>
  );
}

/**
 * A table with a caption for screen readers, one header row of `columns` and the rows given as children, in the
 * scrolling wrapper unless `wrap` is false.
 */
export function DataTable({
  caption,
  columns,
  class: className,
  wrap = true,
  children,
}: {
  caption: string;
  columns: Column[];
  class?: string;
  wrap?: boolean;
  children: ComponentChildren;
}) {
  const table = (
    <table class={className}>
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          {columns.map((column, i) => (
            <HeaderCell key={i} column={column} />
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
  return wrap ? <div class="table-wrap">{table}</div> : table;
}
