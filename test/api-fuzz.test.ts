/**
 * Issue 21: malformed requests generated from the route list the API serves (its OpenAPI document): wrong
 * types, out-of-range and huge numbers, missing and malformed bodies, deep JSON, wrong content types, bad path
 * parameters. None may answer 5xx, and the API must still answer afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startApiServer, type ApiServer } from './support/api-server';
import { withField } from './support/json-body';

type Schema = {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  oneOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minimum?: number;
  example?: unknown;
};

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

interface FuzzRequest {
  method: string;
  path: string;
  /** Which case of which route, for the failure message. */
  label: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Wrong values for a path parameter. */
const BAD_PATH_VALUES = [
  'x',
  '0',
  '-1',
  '1.5',
  '1e20',
  '99999999999999999999',
  '2147483648',
  '9007199254740993',
  '%ZZ',
  '%00',
  'a'.repeat(2000),
  '00000000-0000-4000-8000-000000000000',
  "'; DROP TABLE runs; --",
];

/** Wrong values for a query parameter (each sent alone). */
const BAD_QUERY_VALUES = [
  'abc',
  '',
  '-1',
  '1.5',
  '1e20',
  '99999999999999999999',
  '2147483648',
  'NaN',
  'Infinity',
  '0x10',
  '\u0000x',
  'a'.repeat(5000),
];

/** Wrong JSON values for a body property. */
const BAD_JSON_VALUES: unknown[] = [
  null,
  'string',
  -1,
  1.5,
  1e20,
  1e308,
  -1e308,
  2147483648,
  true,
  '\u0000',
  [],
  [1, 2],
  {},
  { nested: { deeper: [1] } },
  'a'.repeat(10_000),
];

/** A bad body sent as application/json. */
const json = (label: string, body: string) => ({ label, contentType: 'application/json', body });

/** Malformed or mistyped whole bodies for every route that takes one. */
const BAD_BODIES: { label: string; contentType: string; body: string }[] = [
  json('no body', ''),
  json('null', 'null'),
  json('array', '[]'),
  json('string', '"run"'),
  json('number', '99999999999999999999'),
  json('truncated JSON', '{"a":'),
  json('not JSON', 'sampler=1'),
  json('nested 5,000 deep', `${'['.repeat(5000)}${']'.repeat(5000)}`),
  json('object nested 2,000 deep', `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`),
  json('over the size limit', `{"a":"${'x'.repeat(200_000)}"}`),
  { label: 'text/plain', contentType: 'text/plain', body: '{"numSamples":1}' },
  { label: 'xml', contentType: 'application/xml', body: '<run/>' },
  { label: 'form', contentType: 'application/x-www-form-urlencoded', body: 'a[b][c][d][e][f][g]=1&a=2' },
  { label: 'multipart without boundary', contentType: 'multipart/form-data', body: '--x\r\n' },
  {
    label: 'multipart with a bad part',
    contentType: 'multipart/form-data; boundary=x',
    body: '--x\r\nContent-Disposition: form-data; name="train"; filename="a.tsv"\r\n\r\n1\t2\r\n',
  },
  {
    label: 'JSON with a charset it cannot have',
    contentType: 'application/json; charset=klingon',
    body: '{}',
  },
];

function resolve(doc: OpenApi, schema: Schema | undefined): Schema {
  if (!schema) return {};
  if (schema.$ref) return resolve(doc, doc.components.schemas[schema.$ref.split('/').at(-1) ?? '']);
  return schema;
}

/** A plausible value for a schema, so each mutation changes one field of an otherwise well-formed body. */
function plausible(doc: OpenApi, raw: Schema | undefined, depth = 0): unknown {
  const schema = resolve(doc, raw);
  if (schema.example !== undefined) return schema.example;
  if (schema.enum) return schema.enum[0];
  if (schema.oneOf) return plausible(doc, schema.oneOf[0], depth);
  switch (schema.type) {
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      return 'x';
    case 'array':
      return [plausible(doc, schema.items, depth + 1)];
    default:
      if (!schema.properties || depth > 4) return {};
      return Object.fromEntries(
        Object.entries(schema.properties).map(([name, property]) => [
          name,
          plausible(doc, property, depth + 1),
        ]),
      );
  }
}

/** Paths into a body object (one level of nesting), for the field-by-field mutations. */
function fieldPaths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => [
    [...prefix, key],
    ...(prefix.length === 0 ? fieldPaths(child, [key]) : []),
  ]);
}

/** Requests in flight at once. */
const CONCURRENCY = 4;

describe('API fuzz: malformed requests from the OpenAPI route list', () => {
  let server: ApiServer;
  let doc: OpenApi;
  let runId: string;
  let datasetId: string;

  const send = async (request: FuzzRequest, key: string) => {
    const response = await fetch(`${server.base}${request.path}`, {
      method: request.method,
      headers: { 'x-api-key': key, ...request.headers },
      body: request.body,
      signal: AbortSignal.timeout(20_000),
    });
    // Exports and the event stream may be long: the status is what is under test.
    const text = response.status >= 500 ? await response.text() : '';
    await response.body?.cancel().catch(() => undefined);
    return { status: response.status, text };
  };

  before(async () => {
    // As many uploads at once as the fuzz sends: the upload cap's 503 is a capacity answer, tested in
    // upload-memory.test.ts, not a malformed request's.
    server = await startApiServer('api-fuzz', { UPLOAD_MAX_CONCURRENT: String(CONCURRENCY) });
    const json = { 'x-api-key': server.key, 'content-type': 'application/json' };
    const dataset = await fetch(`${server.base}/datasets/synthetic`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        name: 'fuzz',
        generator: 'cbf',
        length: 16,
        trainPerClass: 4,
        testPerClass: 4,
        seed: 1,
      }),
    });
    assert.equal(dataset.status, 201, await dataset.clone().text());
    datasetId = ((await dataset.json()) as { id: string }).id;
    const run = await fetch(`${server.base}/runs`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ sampler: { kind: 'synthetic', generator: 'cbf', length: 16 }, numSamples: 10 }),
    });
    assert.equal(run.status, 201, await run.clone().text());
    runId = ((await run.json()) as { id: string }).id;
    doc = (await (await fetch(`${server.base}/docs/openapi.json`)).json()) as OpenApi;
  });

  after(async () => {
    await server?.close();
  });

  /**
   * Real ids where the route has them, so query and body cases reach past the lookup; not for DELETE, whose first
   * case would remove what the other routes look at.
   */
  const basePathValue = (route: string, method: string, name: string): string => {
    if (name === 'index') return '0';
    if (name === 'name') return 'fuzz';
    if (method === 'delete') return '00000000-0000-4000-8000-000000000000';
    if (route.startsWith('/runs/')) return runId;
    if (route.startsWith('/datasets/')) return datasetId;
    return '00000000-0000-4000-8000-000000000000';
  };

  const fillPath = (route: string, values: Record<string, string>) =>
    route.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponentUnlessRaw(values[name]));

  /** '%ZZ' and '%00' are sent as written: malformed escapes are part of the fuzz. */
  const encodeURIComponentUnlessRaw = (value: string) =>
    /^%/.test(value) ? value : encodeURIComponent(value);

  function requestsFor(route: string, method: string, operation: Operation): FuzzRequest[] {
    const params = operation.parameters ?? [];
    const pathParams = params.filter((param) => param.in === 'path').map((param) => param.name);
    const queryParams = params.filter((param) => param.in === 'query').map((param) => param.name);
    const basePath = Object.fromEntries(pathParams.map((name) => [name, basePathValue(route, method, name)]));
    const upper = method.toUpperCase();
    const requests: FuzzRequest[] = [];
    const jsonSchema = operation.requestBody?.content['application/json']?.schema;
    const baseBody = jsonSchema ? plausible(doc, jsonSchema) : undefined;
    const jsonBody = (value: unknown) => ({
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(value),
    });

    for (const name of pathParams) {
      for (const value of BAD_PATH_VALUES) {
        requests.push({
          method: upper,
          path: fillPath(route, { ...basePath, [name]: value }),
          label: `path ${name}=${value.slice(0, 40)}`,
          ...(baseBody === undefined ? {} : jsonBody(baseBody)),
        });
      }
    }
    const path = fillPath(route, basePath);
    for (const name of [...queryParams, 'unknownParam']) {
      for (const value of BAD_QUERY_VALUES) {
        requests.push({
          method: upper,
          path: `${path}?${name}=${encodeURIComponent(value)}`,
          label: `query ${name}=${value.slice(0, 40)}`,
        });
      }
      requests.push({ method: upper, path: `${path}?${name}=1&${name}=2`, label: `query ${name} twice` });
      requests.push({ method: upper, path: `${path}?${name}[a]=1`, label: `query ${name} as an object` });
    }
    if (operation.requestBody) {
      // Creating routes hash the body of a request with an Idempotency-Key (which the client and CLI always send)
      // before validating it: each bad body goes with and without one.
      const idempotent = params.some(
        (param) => param.in === 'header' && param.name.toLowerCase() === 'idempotency-key',
      );
      for (const bad of BAD_BODIES) {
        for (const key of idempotent ? [undefined, `fuzz-${requests.length}`] : [undefined]) {
          requests.push({
            method: upper,
            path,
            label: `body ${bad.label}${key === undefined ? '' : ' with an Idempotency-Key'}`,
            headers: {
              'content-type': bad.contentType,
              ...(key === undefined ? {} : { 'idempotency-key': key }),
            },
            body: bad.body,
          });
        }
      }
      for (const field of fieldPaths(baseBody)) {
        for (const value of BAD_JSON_VALUES) {
          requests.push({
            method: upper,
            path,
            label: `body ${field.join('.')}=${JSON.stringify(value).slice(0, 40)}`,
            ...jsonBody(withField(baseBody, field, value)),
          });
        }
      }
      // Huge integers written out (JSON.stringify would print 1e+21).
      requests.push({
        method: upper,
        path,
        label: 'body with a 30-digit integer in every field',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(baseBody ?? {}).replace(/:(-?\d+(\.\d+)?)/g, ':123456789012345678901234567890'),
      });
    }
    return requests;
  }

  test('no malformed request answers 5xx, and the API still answers afterwards', async (t) => {
    const requests: { request: FuzzRequest; admin: boolean }[] = [];
    for (const [route, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const admin = route.startsWith('/admin/');
        for (const request of requestsFor(route, method, operation)) requests.push({ request, admin });
      }
    }
    assert.ok(requests.length >= 200, `only ${requests.length} requests generated`);

    const failures: string[] = [];
    const byStatus = new Map<number, number>();
    // A few at a time: enough to be quick, few enough not to trip the team's active-run limit by accident.
    const queue = [...requests];
    const workers = Array.from({ length: CONCURRENCY }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { request, admin } = next;
        const { status, text } = await send(request, admin ? server.adminKey : server.key);
        byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
        if (status >= 500) {
          failures.push(
            `${request.method} ${request.path.slice(0, 120)} [${request.label}] -> ${status} ${text.slice(0, 200)}`,
          );
        }
      }
    });
    await Promise.all(workers);
    t.diagnostic(
      `${requests.length} requests over ${Object.keys(doc.paths).length} paths: ${[...byStatus]
        .sort(([a], [b]) => a - b)
        .map(([status, count]) => `${count} x ${status}`)
        .join(', ')}`,
    );
    assert.deepEqual(failures, [], `${failures.length} requests answered 5xx`);

    assert.equal((await fetch(`${server.base}/health/live`)).status, 200);
    const runs = await fetch(`${server.base}/runs?limit=1`, { headers: { 'x-api-key': server.key } });
    assert.equal(runs.status, 200, await runs.text());
  });
});
