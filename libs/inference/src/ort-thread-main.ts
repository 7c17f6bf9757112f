import { parentPort } from 'node:worker_threads';
import { type OrtRequest, type OrtResponse, type WireTensor } from './ort-thread-protocol';
import { type OrtSession, createSession, loadOnnxRuntime } from './onnx-runtime';

/**
 * The inference thread: owns every ONNX Runtime session of the process. onnxruntime-node's `run` is synchronous
 * under its Promise (microsoft/onnxruntime#26968), so running it here keeps the process's event loop free while
 * ORT's own thread pool computes.
 */
const port = parentPort;
if (port === null) throw new Error('ort-thread-main runs only as a worker thread');
const loaded = loadOnnxRuntime();
const sessions = new Map<number, OrtSession>();
const inFlight = new Set<Promise<void>>();
let closing = false;

function reply(message: OrtResponse, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

async function handle(request: Exclude<OrtRequest, { type: 'shutdown' }>): Promise<void> {
  if (!('ort' in loaded)) throw new Error(loaded.error);
  const { ort } = loaded;
  switch (request.type) {
    case 'create': {
      sessions.set(request.session, await createSession(ort, new Uint8Array(request.graph), request.options));
      reply({ id: request.id, ok: true, outputs: {} });
      return;
    }
    case 'run': {
      const session = sessions.get(request.session);
      if (session === undefined) throw new Error(`no session ${request.session}`);
      const feeds = Object.fromEntries(
        Object.entries(request.feeds).map(([name, t]) => [name, new ort.Tensor(t.type, t.data, t.dims)]),
      );
      const result = await session.run(feeds, request.fetches);
      const outputs: Record<string, WireTensor> = {};
      const transfer: ArrayBuffer[] = [];
      for (const name of request.fetches) {
        const t = result[name];
        const data = t.data as WireTensor['data'];
        outputs[name] = { type: t.type as WireTensor['type'], data, dims: [...t.dims] };
        transfer.push(data.buffer as ArrayBuffer);
      }
      reply({ id: request.id, ok: true, outputs }, transfer);
      return;
    }
    case 'release': {
      await sessions.get(request.session)?.release();
      sessions.delete(request.session);
      reply({ id: request.id, ok: true, outputs: {} });
      return;
    }
  }
}

/**
 * Ends the thread from the inside once no native call is running: terminating a worker while onnxruntime-node
 * computes makes the addon throw outside JavaScript, which aborts the whole process.
 */
async function shutdown(): Promise<void> {
  closing = true;
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  for (const session of sessions.values()) await session.release().catch(() => undefined);
  sessions.clear();
  process.exit(0);
}

port.on('message', (request: OrtRequest) => {
  if (request.type === 'shutdown') {
    void shutdown();
    return;
  }
  if (closing) {
    reply({ id: request.id, ok: false, error: 'the inference engine is closed' });
    return;
  }
  const task = handle(request)
    .catch((error: unknown) => {
      reply({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) });
    })
    .finally(() => inFlight.delete(task));
  inFlight.add(task);
});
