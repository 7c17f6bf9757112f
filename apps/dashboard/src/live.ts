import { useEffect, useRef, useState } from 'preact/hooks';
import type { MaskgenClient, ProgressEvent } from '@maskgen/client';
import { isRouteMissing } from './api';

export type LiveMode = 'connecting' | 'events' | 'polling';
type Listener = (event: ProgressEvent | undefined) => void;

const POLL_MS = 2000;
const RECONNECT_MS = 5000;

/**
 * Live updates for the pages: reads GET /events (server-sent events through fetch, so the key stays
 * in a header) and hands each event to the listeners; while the stream is unavailable (server
 * without the endpoint, network trouble) it polls instead, calling listeners with no event.
 */
export class LiveUpdates {
  private readonly listeners = new Set<Listener>();
  private readonly modeListeners = new Set<(mode: LiveMode) => void>();
  private abort = new AbortController();
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  mode: LiveMode = 'connecting';

  constructor(private readonly client: MaskgenClient) {}

  start(): void {
    void this.connect();
  }

  stop(): void {
    this.abort.abort();
    clearInterval(this.pollTimer);
    clearTimeout(this.retryTimer);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onMode(listener: (mode: LiveMode) => void): () => void {
    this.modeListeners.add(listener);
    return () => this.modeListeners.delete(listener);
  }

  private setMode(mode: LiveMode): void {
    this.mode = mode;
    if (mode === 'polling' && !this.pollTimer) {
      this.pollTimer = setInterval(() => this.emit(undefined), POLL_MS);
    } else if (mode === 'events') {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
    }
    for (const listener of this.modeListeners) listener(mode);
  }

  private emit(event: ProgressEvent | undefined): void {
    for (const listener of this.listeners) listener(event);
  }

  private async connect(): Promise<void> {
    const signal = this.abort.signal;
    try {
      await this.client.streamEvents(
        (event) => this.emit(event),
        signal,
        () => this.setMode('events'),
      );
    } catch (error) {
      if (signal.aborted) return;
      this.setMode('polling');
      // A server without the endpoint will not grow one: poll for good. Otherwise try again later.
      if (isRouteMissing(error)) return;
    }
    if (signal.aborted) return;
    this.setMode('polling');
    this.retryTimer = setTimeout(() => void this.connect(), RECONNECT_MS);
  }
}

/** The live mode, for the indicator in the header. */
export function useLiveMode(live: LiveUpdates): LiveMode {
  const [mode, setMode] = useState(live.mode);
  useEffect(() => live.onMode(setMode), [live]);
  return mode;
}

/**
 * Calls `refresh` when an event of one of `types` arrives (at most every 500 ms), or on every poll
 * tick while `active` (e.g. while something on the page is still running).
 */
export function useLiveRefresh(
  live: LiveUpdates,
  refresh: () => void,
  active: boolean,
  types = ['run', 'model'],
): void {
  const latest = useRef({ refresh, active });
  latest.current = { refresh, active };
  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = live.subscribe((event) => {
      if (event ? !types.includes(event.type) : !latest.current.active) return;
      if (pending) return;
      pending = setTimeout(
        () => {
          pending = undefined;
          latest.current.refresh();
        },
        event ? 500 : 0,
      );
    });
    return () => {
      unsubscribe();
      clearTimeout(pending);
    };
    // `types` is a constant per call site.
  }, [live]);
}
