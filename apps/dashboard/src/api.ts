import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, MaskgenClient } from '@maskgen/client';

export const ClientContext = createContext<MaskgenClient | null>(null);

export function useClient(): MaskgenClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient outside of a signed-in page');
  return client;
}

export function clientFor(apiKey: string): MaskgenClient {
  return new MaskgenClient({ baseUrl: location.origin, apiKey });
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again, keeping the current data visible meanwhile. */
  reload: () => void;
}

/** Runs `load` when `deps` change (and on reload()); the latest answer wins. */
export function useLoad<T>(load: (client: MaskgenClient) => Promise<T>, deps: unknown[]): Loaded<T> {
  const client = useClient();
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const generation = useRef(0);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const mine = ++generation.current;
    setState((previous) => ({ ...previous, loading: true }));
    load(client).then(
      (data) => mine === generation.current && setState({ data, loading: false }),
      (error: unknown) =>
        mine === generation.current &&
        setState((previous) => ({ data: previous.data, error, loading: false })),
    );
    // Callers list in `deps` what `load` depends on.
  }, [client, tick, ...deps]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export interface Action {
  /** The last attempt's failure, as text for the page; null while running and after a success. */
  error: string | null;
  busy: boolean;
  /** Runs `action` (a submit, delete or cancel), keeping its failure in `error` instead of throwing. */
  run: (action: () => Promise<unknown>) => Promise<void>;
}

export function useAction(): Action {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  }, []);
  return { error, busy, run };
}

export function isRouteMissing(error: unknown): boolean {
  return error instanceof ApiError && error.routeMissing;
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError)
    return error.status ? `${error.message} (HTTP ${error.status})` : error.message;
  return error instanceof Error ? error.message : String(error);
}
