import type { ComponentChildren } from 'preact';
import { errorText, isRouteMissing, type Loaded } from '../api';

/** An error from the API, or a clear note when this server does not have the endpoint yet. */
export function ErrorNotice({ error, feature }: { error: unknown; feature?: string }) {
  if (isRouteMissing(error)) {
    return (
      <p class="notice" role="status">
        {feature ?? 'This feature'} is not available on this server yet (its API endpoint is missing).
      </p>
    );
  }
  return (
    <p class="notice error" role="alert">
      {errorText(error)}
    </p>
  );
}

/** A page's own failure message (from useAction), or nothing. */
export function ErrorText({ text }: { text: string | null }) {
  return text ? (
    <p class="notice error" role="alert">
      {text}
    </p>
  ) : null;
}

/** A loaded list: its error, "Loading …" until the first answer, then `empty` or the items. */
export function LoadedItems<T>({
  list,
  what,
  empty,
  children,
}: {
  list: Loaded<{ items: T[] }>;
  what: string;
  empty: string;
  children: (items: T[]) => ComponentChildren;
}) {
  return (
    <>
      {list.error !== undefined && <ErrorNotice error={list.error} />}
      {!list.data ? (
        <Loading what={what} />
      ) : list.data.items.length === 0 ? (
        <p class="muted">{empty}</p>
      ) : (
        children(list.data.items)
      )}
    </>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Section({
  title,
  children,
  id,
}: {
  title: string;
  children: ComponentChildren;
  id?: string;
}) {
  return (
    <section class="card" aria-labelledby={id ? `${id}-title` : undefined}>
      <h2 id={id ? `${id}-title` : undefined}>{title}</h2>
      {children}
    </section>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}`}>{status}</span>;
}
