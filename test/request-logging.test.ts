/**
 * Logging of an HTTP app without nestjs-pino (issue 20 item 7): pino-http writes one JSON line per request with its
 * request id (the caller's, echoed, or a fresh UUID), credentials redacted and health probes left out; Nest's own
 * messages and `new Logger(context)` go through the same pino logger with their context.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import 'reflect-metadata';
import { Controller, Get, Logger, Module, type INestApplication } from '@nestjs/common';
import pino from 'pino';
import { LoggingModule } from '@maskgen/observability';
import { createHttpApp } from '@maskgen/runtime';

type Line = Record<string, unknown> & {
  level?: number;
  msg?: string;
  context?: string;
  requestId?: string;
  req?: { url?: string; headers?: Record<string, string> };
  res?: { statusCode?: number };
};

@Controller()
class ProbeController {
  private readonly logger = new Logger('Probe');

  @Get('hello')
  hello() {
    this.logger.warn('careful');
    return { ok: true };
  }

  @Get('health/live')
  live() {
    return { status: 'ok' };
  }

  @Get('boom')
  boom() {
    throw new Error('kaput');
  }
}

describe('HTTP request log and Nest logger over pino', () => {
  const lines: Line[] = [];
  let app: INestApplication;
  let base = '';

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const text of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Line);
        done();
      },
    });
    @Module({
      imports: [LoggingModule.forRoot(pino({ level: 'debug' }, sink))],
      controllers: [ProbeController],
    })
    class Root {}
    app = await createHttpApp({ module: Root });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
  });

  after(async () => {
    await app?.close();
  });

  const requestLines = (url: string) =>
    lines.filter((line) => line.req?.url === url && line.res !== undefined);

  async function settled<T>(what: string, read: () => T | undefined): Promise<T> {
    for (let i = 0; i < 100; i++) {
      const value = read();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.fail(`no ${what} in the log:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
  }

  test('a request is logged once with the caller’s request id, echoed; credentials are redacted', async () => {
    const response = await fetch(`${base}/hello`, {
      headers: { 'x-request-id': 'trace-123', 'x-api-key': 'mgk_secret', authorization: 'Bearer secret' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-request-id'), 'trace-123');
    const [line] = await settled('request line', () => {
      const found = requestLines('/hello');
      return found.length > 0 ? found : undefined;
    });
    assert.equal(requestLines('/hello').length, 1);
    assert.equal(line.requestId, 'trace-123');
    assert.equal(line.res?.statusCode, 200);
    assert.ok(
      Number.isFinite(line.responseTime) && Number(line.responseTime) >= 0,
      String(line.responseTime),
    );
    assert.equal(line.req?.headers?.['x-api-key'], '[Redacted]');
    assert.equal(line.req?.headers?.authorization, '[Redacted]');
    assert.doesNotMatch(JSON.stringify(lines), /mgk_secret|Bearer secret/);
  });

  test('without a usable request id one is made; unknown routes and errors are logged too', async () => {
    const made = await fetch(`${base}/no-such-route`, { headers: { 'x-request-id': 'bad id with spaces' } });
    assert.equal(made.status, 404);
    const id = made.headers.get('x-request-id') ?? '';
    assert.match(id, /^[0-9a-f-]{36}$/);
    const missing = await settled('404 line', () => requestLines('/no-such-route')[0]);
    assert.equal(missing.requestId, id);
    assert.equal(missing.res?.statusCode, 404);

    assert.equal((await fetch(`${base}/boom`)).status, 500);
    const failed = await settled('500 line', () => requestLines('/boom')[0]);
    assert.equal(failed.res?.statusCode, 500);
    // Nest's exception handler reports the error through the same logger, with its stack.
    const reported = await settled('exception line', () =>
      lines.find((line) => line.context === 'ExceptionsHandler' && line.msg === 'kaput'),
    );
    assert.equal(reported.level, 50);
    assert.match(JSON.stringify(reported), /at ProbeController\.boom/);
  });

  test('health probes are not logged; Nest and our loggers write JSON lines with their context', async () => {
    assert.equal((await fetch(`${base}/health/live`)).status, 200);
    await fetch(`${base}/hello`);
    await settled('second hello', () => (requestLines('/hello').length >= 2 ? true : undefined));
    assert.deepEqual(requestLines('/health/live'), []);
    const warned = lines.find((line) => line.context === 'Probe' && line.msg === 'careful');
    assert.equal(warned?.level, 40);
    // Nest's bootstrap messages (route mapping, start) went through pino, not the console.
    assert.ok(
      lines.some(
        (line) => line.context === 'RouterExplorer' && /Mapped \{\/hello, GET\}/.test(line.msg ?? ''),
      ),
    );
    assert.ok(lines.some((line) => line.context === 'NestApplication' && line.level === 30));
  });
});
