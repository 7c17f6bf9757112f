import type {
  CreateRunRequest,
  CriticScores,
  Dataset,
  DatasetSeriesPage,
  Evaluation,
  Metric,
  Model,
  Page,
  ProgressEvent,
  Run,
  RunComparison,
  SamplePage,
  Schedule,
  ScheduleHistoryEntry,
  SyntheticGenerator,
} from './types';

/** A non-2xx answer of the API, carrying the server's own message. */
export class ApiError extends Error {
  /** The server's Retry-After (at most 5 s), where it sent one. */
  retryAfterMs?: number;

  constructor(
    readonly status: number,
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The endpoint does not exist on this server (yet), as opposed to a missing row. */
  get routeMissing(): boolean {
    return this.status === 404 && /^Cannot (GET|POST|PUT|DELETE)/.test(this.message);
  }
}

/** Nest answers errors as {statusCode, message, error}; message may be a list of validation errors. */
function messageOf(status: number, statusText: string, body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown };
    if (Array.isArray(parsed.message)) return parsed.message.map(String).join('; ');
    if (typeof parsed.message === 'string' && parsed.message) return parsed.message;
    if (typeof parsed.error === 'string' && parsed.error) return parsed.error;
  } catch {
    // Not JSON: fall back to the text or the status line.
  }
  const text = body.trim();
  return text && text.length < 500 ? text : `${status} ${statusText}`.trim();
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface ClientOptions {
  baseUrl: string;
  apiKey: string;
  /** Injected for tests or other runtimes; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/**
 * A thin typed client of the maskgen API, shared by the CLI (Node) and the dashboard (browser):
 * it only needs fetch, URL and TextDecoder.
 */
export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  accept?: string;
  /** Idempotency-Key of a creating request; one per intended creation, kept across its retries. */
  idempotencyKey?: string;
}

/** Times a creating request is sent again (same Idempotency-Key) after a lost answer or a 503. */
export const IDEMPOTENT_RETRIES = 2;

/** A fresh key for one creating call (so one CLI invocation or one click creates at most one resource). */
export function newIdempotencyKey(): string {
  // randomUUID exists only in secure contexts; a dashboard served over plain http still has getRandomValues.
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export class MaskgenClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  url(path: string, query?: Query): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
    }
    const qs = search.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  /**
   * The raw response of a request, after checking its status. With an `idempotencyKey` (creating requests) it is
   * sent as Idempotency-Key, and a request whose answer was lost (network error) or was a 503 is sent again with
   * the same key, up to IDEMPOTENT_RETRIES times: the API creates the resource at most once.
   */
  async raw(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.rawOnce(method, path, options);
      } catch (error) {
        const retriable =
          options.idempotencyKey !== undefined &&
          attempt < IDEMPOTENT_RETRIES &&
          error instanceof ApiError &&
          (error.status === 0 || error.status === 503);
        if (!retriable) throw error;
        await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs ?? 1000));
      }
    }
  }

  private async rawOnce(method: string, path: string, options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { 'x-api-key': this.options.apiKey };
    if (options.accept) headers.accept = options.accept;
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    let body: FormData | string | undefined;
    if (options.body instanceof FormData) body = options.body;
    else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path, options.query), {
        method,
        headers,
        body,
        signal: options.signal,
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') throw error;
      const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause : error) : undefined;
      throw new ApiError(
        0,
        `Cannot reach the API at ${this.baseUrl}: ${cause?.message ?? String(error)}`,
        path,
      );
    }
    if (!response.ok) {
      const error = new ApiError(
        response.status,
        messageOf(response.status, response.statusText, await response.text()),
        path,
      );
      const retryAfter = Number(response.headers.get('retry-after'));
      if (retryAfter > 0) error.retryAfterMs = Math.min(retryAfter, 5) * 1000;
      throw error;
    }
    return response;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.raw(method, path, options);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  // datasets
  listDatasets(query: Query = {}) {
    return this.request<Page<Dataset>>('GET', '/datasets', { query });
  }
  getDataset(id: string) {
    return this.request<Dataset>('GET', `/datasets/${encodeURIComponent(id)}`);
  }
  uploadDataset(form: FormData) {
    return this.request<Dataset>('POST', '/datasets/upload', {
      body: form,
      idempotencyKey: newIdempotencyKey(),
    });
  }
  builtinDataset(body: { dataset: string; name?: string }) {
    return this.request<Dataset>('POST', '/datasets/builtin', { body, idempotencyKey: newIdempotencyKey() });
  }
  syntheticDataset(body: {
    name: string;
    generator: SyntheticGenerator;
    length?: number;
    trainPerClass: number;
    testPerClass: number;
    seed: number;
  }) {
    return this.request<Dataset>('POST', '/datasets/synthetic', {
      body,
      idempotencyKey: newIdempotencyKey(),
    });
  }
  datasetSeries(id: string, query: { split?: 'train' | 'test'; offset?: number; limit?: number }) {
    return this.request<DatasetSeriesPage>('GET', `/datasets/${encodeURIComponent(id)}/series`, { query });
  }
  deleteDataset(id: string) {
    return this.request<void>('DELETE', `/datasets/${encodeURIComponent(id)}`);
  }

  // runs
  createRun(body: CreateRunRequest) {
    return this.request<Run>('POST', '/runs', { body, idempotencyKey: newIdempotencyKey() });
  }
  listRuns(query: Query = {}) {
    return this.request<Page<Run>>('GET', '/runs', { query });
  }
  getRun(id: string, signal?: AbortSignal) {
    return this.request<Run>('GET', `/runs/${encodeURIComponent(id)}`, { signal });
  }
  cancelRun(id: string) {
    return this.request<Run>('POST', `/runs/${encodeURIComponent(id)}/cancel`);
  }
  retryRun(id: string) {
    return this.request<Run>('POST', `/runs/${encodeURIComponent(id)}/retry`);
  }
  runMetrics(id: string) {
    return this.request<{ runId: string; items: Metric[] }>('GET', `/runs/${encodeURIComponent(id)}/metrics`);
  }
  /** JSON pages of a run's samples; `worse` keeps only those ESS made worse in the critic's eyes. */
  samples(id: string, query: { offset?: number; limit?: number; worse?: boolean } = {}) {
    return this.request<SamplePage>('GET', `/runs/${encodeURIComponent(id)}/samples`, {
      query: { ...query, format: 'json' },
    });
  }
  criticScores(id: string, index: number) {
    return this.request<CriticScores>('GET', `/runs/${encodeURIComponent(id)}/samples/${index}/critic`);
  }
  /** Runs side by side; with groups (string[][]), ';' separates them (e.g. one group of seeds per sampler). */
  compareRuns(ids: string[] | string[][]) {
    const text = ids
      .map((id) => (Array.isArray(id) ? id.join(',') : id))
      .join(ids.some(Array.isArray) ? ';' : ',');
    return this.request<RunComparison>('GET', '/runs/compare', { query: { ids: text } });
  }

  // models
  trainModel(body: { datasetId: string; name?: string; profile?: string; seed?: number }) {
    return this.request<Model>('POST', '/models', { body, idempotencyKey: newIdempotencyKey() });
  }
  listModels(query: Query = {}) {
    return this.request<Page<Model>>('GET', '/models', { query });
  }
  getModel(id: string) {
    return this.request<Model>('GET', `/models/${encodeURIComponent(id)}`);
  }
  cancelModel(id: string) {
    return this.request<Model>('POST', `/models/${encodeURIComponent(id)}/cancel`);
  }
  deleteModel(id: string) {
    return this.request<void>('DELETE', `/models/${encodeURIComponent(id)}`);
  }

  // evaluations
  createEvaluation(
    body: { runId: string } | { datasetId: string; split: 'train' | 'test'; modelId?: string },
  ) {
    return this.request<Evaluation>('POST', '/evaluations', { body, idempotencyKey: newIdempotencyKey() });
  }
  listEvaluations(query: Query = {}) {
    return this.request<Page<Evaluation>>('GET', '/evaluations', { query });
  }
  getEvaluation(id: string) {
    return this.request<Evaluation>('GET', `/evaluations/${encodeURIComponent(id)}`);
  }

  // schedules
  listSchedules() {
    return this.request<{ items: Schedule[] }>('GET', '/schedules');
  }
  putSchedule(name: string, body: { cron: string; timezone: string; run: CreateRunRequest }) {
    return this.request<Schedule>('PUT', `/schedules/${encodeURIComponent(name)}`, { body });
  }
  deleteSchedule(name: string) {
    return this.request<void>('DELETE', `/schedules/${encodeURIComponent(name)}`);
  }
  scheduleHistory(name: string) {
    return this.request<ScheduleHistoryEntry[]>('GET', `/schedules/${encodeURIComponent(name)}/history`);
  }

  /**
   * Reads GET /events (server-sent events) with fetch, so the key stays in a header, calling
   * `onEvent` for each event until the signal aborts or the stream ends. Rejects with an ApiError
   * when the endpoint answers an error (e.g. 404 on a server without it).
   */
  async streamEvents(
    onEvent: (event: ProgressEvent) => void,
    signal: AbortSignal,
    onOpen?: () => void,
  ): Promise<void> {
    const response = await this.raw('GET', '/events', { signal, accept: 'text/event-stream' });
    if (!response.body) throw new ApiError(0, 'The event stream has no body', '/events');
    onOpen?.();
    const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let boundary: number;
      while ((boundary = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary).replace(/^\r?\n\r?\n/, '');
        const event = parseEventBlock(block);
        if (event) onEvent(event);
      }
    }
  }
}

/** One SSE block ("event: x\ndata: {...}"); comments (": keepalive") and empty data are skipped. */
export function parseEventBlock(block: string): ProgressEvent | undefined {
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  try {
    return { type, data: JSON.parse(data.join('\n')) as ProgressEvent['data'] };
  } catch {
    return undefined;
  }
}
