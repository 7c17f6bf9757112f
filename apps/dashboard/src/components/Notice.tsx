import type { ComponentChildren } from 'preact';
import { errorText, isRouteMissing } from '../api';

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
