import { waitFor } from './services';

export type Json = Record<string, unknown>;

export interface ApiAnswer {
  status: number;
  /** The parsed body; {} when it is not JSON (CSV, an empty 204). */
  json: Json;
  text: string;
  headers: Headers;
}

export interface CallOptions {
  /** Sent as the JSON body as it is (malformed or deep JSON), instead of `body`. */
  raw?: string;
  /** More request headers (Idempotency-Key, …). */
  headers?: Record<string, string>;
}

/**
 * One request to the API at `base` as the holder of `key`: a JSON body, or a FormData upload as it is. A GET that
 * fails to connect is sent once more: training in the test's own process can hold the event loop long enough for
 * the server to drop an idle keep-alive socket just as a poll reuses it.
 */
export async function apiCall(
  base: string,
  key: string,
  method: string,
  url: string,
  body?: unknown,
  options: CallOptions = {},
): Promise<ApiAnswer> {
  const form = body instanceof FormData;
  const payload = options.raw ?? (body === undefined ? undefined : form ? body : JSON.stringify(body));
  const send = () =>
    fetch(`${base}${url}`, {
      method,
      headers: {
        'x-api-key': key,
        ...(payload === undefined || form ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: payload,
    });
  const response = await send().catch((error: unknown) => {
    if (method !== 'GET') throw error;
    return send();
  });
  const text = await response.text();
  let json: Json = {};
  try {
    json = JSON.parse(text) as Json;
  } catch {
    // Not JSON.
  }
  return { status: response.status, json, text, headers: response.headers };
}

/** Statuses a model or a run does not leave. */
const FINAL = { model: ['ready', 'failed', 'cancelled'], run: ['succeeded', 'failed', 'cancelled'] };

/**
 * Polls GET /models/:id or /runs/:id (through `get`) until its status is final, and returns that body; fails after
 * `timeoutMs`.
 */
export function settled(
  kind: keyof typeof FINAL,
  id: string,
  get: (url: string) => Promise<ApiAnswer>,
  timeoutMs: number,
): Promise<Json> {
  return waitFor(
    kind === 'model' ? `model ${id} to be ready` : `run ${id} to settle`,
    async () => {
      const body = (await get(`/${kind}s/${id}`)).json;
      return FINAL[kind].includes(String(body.status)) ? body : undefined;
    },
    timeoutMs,
    kind === 'model' ? 250 : 200,
  );
}
