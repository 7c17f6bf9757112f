import { waitFor } from './services';

export interface ServerSentEvent {
  event: string;
  data: unknown;
}

export interface SseConnection {
  status: number;
  headers: Headers;
  events: ServerSentEvent[];
  /** Comment lines (": keepalive"), without the colon. */
  comments: string[];
  /** Waits until an event satisfies `match`, returning it. */
  waitForEvent(
    what: string,
    match: (event: ServerSentEvent) => boolean,
    timeoutMs?: number,
  ): Promise<ServerSentEvent>;
  close(): void;
}

/** Reads a text/event-stream with fetch() + a stream reader, as a browser client would (key in a header). */
export async function openEventStream(url: string, apiKey: string): Promise<SseConnection> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { 'x-api-key': apiKey }, signal: abort.signal });
  const events: ServerSentEvent[] = [];
  const comments: string[] = [];
  if (response.status === 200 && response.body) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) comments.push(line.slice(1).trim());
              else if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).trim());
            }
            if (data.length > 0) events.push({ event, data: JSON.parse(data.join('\n')) as unknown });
          }
        }
      } catch {
        // Aborted by close().
      }
    })();
  }
  return {
    status: response.status,
    headers: response.headers,
    events,
    comments,
    waitForEvent: (what, match, timeoutMs = 30_000) =>
      waitFor(what, () => Promise.resolve(events.find(match)), timeoutMs, 50),
    close: () => abort.abort(),
  };
}
