/**
 * Issue 22: the OpenAPI document is made from the zod schemas of libs/contracts/src/api, which are also what the API
 * validates with. Every route documents its request and its answers; the bounds the document states are the ones
 * enforced (min − 1 and max + 1 are a 400 naming the field, min and max pass validation); and what the API answers
 * matches the response schema it documents.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Ajv from 'ajv';
import { ESS_PARAMS_EXAMPLE, essParamsSchema } from '@maskgen/contracts';
import { startApiServer, type ApiServer } from './support/api-server';
import { withField } from './support/json-body';

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  oneOf?: Schema[];
  anyOf?: Schema[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  items?: Schema;
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
}

const SAMPLES_PER_RUN = 50;
const MISSING_ID = '00000000-0000-4000-8000-000000000000';

/** A numeric field with bounds: its path into the body (or its query name) and the bounds. */
interface Bounded {
  path: string[];
  minimum?: number;
  maximum?: number;
}

/** The numeric fields of `schema` that have bounds, following `base` through unions (e.g. sampler.kind). */
function boundedFields(schema: Schema, base: unknown, prefix: string[] = []): Bounded[] {
  const branches = schema.oneOf ?? schema.anyOf;
  if (branches) {
    const chosen = branches.find((branch) =>
      Object.entries(branch.properties ?? {}).every(
        ([name, property]) =>
          property.enum === undefined ||
          property.enum.includes((base as Record<string, unknown> | undefined)?.[name]),
      ),
    );
    return chosen ? boundedFields(chosen, base, prefix) : [];
  }
  if (
    (schema.type === 'integer' || schema.type === 'number') &&
    (schema.minimum ?? schema.maximum) !== undefined
  )
    return [{ path: prefix, minimum: schema.minimum, maximum: schema.maximum }];
  if (schema.type !== 'object' || typeof base !== 'object' || base === null) return [];
  return Object.entries(schema.properties ?? {}).flatMap(([name, property]) =>
    boundedFields(property, (base as Record<string, unknown>)[name], [...prefix, name]),
  );
}

describe('API contract: OpenAPI from the zod schemas', () => {
  let server: ApiServer;
  let doc: OpenApi;
  let runId: string;
  let datasetId: string;
  /** Every 2xx JSON answer seen, to check against the documented schema. */
  const answers: { route: string; method: string; status: number; body: unknown }[] = [];

  const call = async (
    method: string,
    route: string,
    options: { params?: Record<string, string>; query?: string; body?: unknown; key?: string } = {},
  ) => {
    const path = route.replace(/\{(\w+)\}/g, (_, name: string) => options.params?.[name] ?? '');
    const response = await fetch(`${server.base}${path}${options.query ? `?${options.query}` : ''}`, {
      method: method.toUpperCase(),
      headers: { 'x-api-key': options.key ?? server.key, 'content-type': 'application/json' },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (CSV, an empty 204).
    }
    if (response.ok && (response.headers.get('content-type') ?? '').startsWith('application/json'))
      answers.push({ route, method: method.toLowerCase(), status: response.status, body });
    const message = (body as { message?: unknown } | undefined)?.message;
    return {
      status: response.status,
      text,
      body,
      message: Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : '',
    };
  };

  before(async () => {
    server = await startApiServer('api-contract', {
      TEAM_MAX_SAMPLES_PER_RUN: String(SAMPLES_PER_RUN),
      TEAM_MAX_ACTIVE_RUNS: '1000',
    });
    const dataset = await call('post', '/datasets/synthetic', {
      body: { name: 'contract', generator: 'cbf', length: 16, trainPerClass: 4, testPerClass: 4, seed: 1 },
    });
    assert.equal(dataset.status, 201, dataset.text);
    datasetId = (dataset.body as { id: string }).id;
    const run = await call('post', '/runs', {
      body: { sampler: { kind: 'synthetic', generator: 'cbf', length: 16 }, numSamples: 10, shardSize: 5 },
    });
    assert.equal(run.status, 201, run.text);
    runId = (run.body as { id: string }).id;
    doc = (await (await fetch(`${server.base}/docs/openapi.json`)).json()) as OpenApi;
  });

  after(async () => {
    await server?.close();
  });

  test('every route documents its request (body, query parameters) and its answers with schemas', () => {
    const operations = Object.entries(doc.paths).flatMap(([route, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ route, method, operation })),
    );
    assert.ok(operations.length >= 30, `only ${operations.length} operations documented`);
    const problems: string[] = [];
    for (const { route, method, operation } of operations) {
      const where = `${method.toUpperCase()} ${route}`;
      const success = Object.entries(operation.responses).filter(([status]) => /^2/.test(status));
      if (success.length === 0) problems.push(`${where}: no 2xx answer documented`);
      for (const [status, response] of success) {
        if (status === '204') {
          if (response.content) problems.push(`${where}: 204 with content`);
          continue;
        }
        const media = Object.entries(response.content ?? {});
        if (media.length === 0) problems.push(`${where}: ${status} has no content`);
        for (const [type, { schema }] of media) {
          if (!schema) problems.push(`${where}: ${status} ${type} has no schema`);
          // A class-based schema (a $ref with no properties of its own) is what the zod schemas replaced.
          if (type === 'application/json' && schema && !schema.type && !schema.oneOf && !schema.anyOf)
            problems.push(`${where}: ${status} JSON schema has no type`);
        }
      }
      for (const parameter of operation.parameters ?? []) {
        if (!parameter.schema?.type) problems.push(`${where}: parameter ${parameter.name} has no schema`);
      }
      // Actions on one resource (cancel, retry) take no body; every other POST and PUT does.
      const takesBody = (method === 'post' || method === 'put') && !/\/(cancel|retry)$/.test(route);
      const body = operation.requestBody?.content;
      if (takesBody && !Object.values(body ?? {}).some((media) => media.schema?.type === 'object'))
        problems.push(`${where}: no request body schema`);
      if (!takesBody && body) problems.push(`${where}: a request body where none is read`);
    }
    assert.deepEqual(problems, []);
    // The team limit of this deployment is the documented bound.
    const runBody = doc.paths['/runs'].post.requestBody!.content['application/json'].schema!;
    assert.equal(runBody.properties?.numSamples?.maximum, SAMPLES_PER_RUN);
  });

  test('bounds from the schema: min − 1 and max + 1 are a 400 naming the field, min and max pass validation', async () => {
    const syntheticRun = {
      sampler: { kind: 'synthetic', generator: 'cbf', length: 16 },
      numSamples: 10,
      shardSize: 10,
      seed: 1,
      priority: 5,
    };
    // Valid bodies, so that each case changes one field. A missing model or dataset answers 404 after validation.
    const bodies: { method: string; route: string; params?: Record<string, string>; body: unknown }[] = [
      { method: 'post', route: '/runs', body: syntheticRun },
      {
        method: 'post',
        route: '/runs',
        body: {
          sampler: {
            kind: 'model',
            modelId: MISSING_ID,
            method: 'ess',
            ess: { windowRate: 0.3, threshold: 1, variant: 'R' },
          },
          numSamples: 10,
        },
      },
      {
        method: 'put',
        route: '/schedules/{name}',
        params: { name: 'bounds' },
        body: { cron: '0 2 * * *', timezone: 'UTC', run: syntheticRun },
      },
      {
        method: 'post',
        route: '/datasets/synthetic',
        body: { name: 'contract', generator: 'cbf', length: 16, trainPerClass: 4, testPerClass: 4, seed: 1 },
      },
      { method: 'post', route: '/models', body: { datasetId: MISSING_ID, profile: 'tiny', seed: 1 } },
    ];
    const cases: string[] = [];
    const failures: string[] = [];
    for (const { method, route, params, body } of bodies) {
      const schema = doc.paths[route][method].requestBody!.content['application/json'].schema!;
      const fields = boundedFields(schema, body);
      assert.ok(fields.length > 0, `${route}: no bounded field found`);
      for (const field of fields) {
        // A model run needs 10 samples whatever the bound says: only its sampler's fields are varied.
        if (route === '/runs' && (body as { sampler: { kind: string } }).sampler.kind === 'model') {
          if (field.path[0] !== 'sampler') continue;
        }
        const name = field.path.join('.');
        const values: [number, boolean][] = [];
        if (field.minimum !== undefined) values.push([field.minimum - 1, false], [field.minimum, true]);
        if (field.maximum !== undefined) values.push([field.maximum + 1, false], [field.maximum, true]);
        for (const [value, accepted] of values) {
          const answer = await call(method, route, { params, body: withField(body, field.path, value) });
          const namesField = answer.status === 400 && answer.message.includes(name);
          cases.push(`${method} ${route} ${name}=${value}`);
          if (accepted ? namesField : !namesField)
            failures.push(
              `${method.toUpperCase()} ${route} ${name}=${value}: ${answer.status} ${answer.text.slice(0, 200)}`,
            );
        }
      }
    }
    const queries: { route: string; params?: Record<string, string> }[] = [
      { route: '/runs' },
      { route: '/models' },
      { route: '/datasets' },
      { route: '/evaluations' },
      { route: '/datasets/{id}/series', params: { id: datasetId } },
      { route: '/runs/{id}/samples', params: { id: runId } },
    ];
    for (const { route, params } of queries) {
      for (const parameter of doc.paths[route].get.parameters ?? []) {
        const { minimum, maximum } = parameter.schema ?? {};
        if (parameter.in !== 'query' || (minimum ?? maximum) === undefined) continue;
        const values: [number, boolean][] = [];
        if (minimum !== undefined) values.push([minimum - 1, false], [minimum, true]);
        if (maximum !== undefined) values.push([maximum + 1, false], [maximum, true]);
        for (const [value, accepted] of values) {
          const answer = await call('get', route, { params, query: `${parameter.name}=${value}` });
          cases.push(`get ${route} ${parameter.name}=${value}`);
          if (
            accepted
              ? answer.status !== 200
              : answer.status !== 400 || !answer.message.includes(parameter.name)
          )
            failures.push(
              `GET ${route}?${parameter.name}=${value}: ${answer.status} ${answer.text.slice(0, 200)}`,
            );
        }
      }
    }
    assert.ok(cases.length >= 60, `only ${cases.length} boundary cases`);
    assert.deepEqual(failures, []);
  });

  test('the answers match the response schemas the document states', async () => {
    const routes: [string, string, Record<string, string>?, string?][] = [
      ['get', '/runs'],
      ['get', '/runs/{id}', { id: runId }],
      ['get', '/runs/{id}/metrics', { id: runId }],
      ['get', '/runs/{id}/samples', { id: runId }, 'limit=2'],
      ['get', '/runs/compare', {}, `ids=${runId}`],
      ['get', '/datasets'],
      ['get', '/datasets/{id}', { id: datasetId }],
      ['get', '/datasets/{id}/series', { id: datasetId }, 'limit=2'],
      ['get', '/models'],
      ['get', '/evaluations'],
      ['get', '/schedules'],
      ['get', '/schedules/{name}/history', { name: 'bounds' }],
      ['get', '/health/live'],
      ['get', '/health/ready'],
    ];
    for (const [method, route, params, query] of routes) {
      const answer = await call(method, route, { params, query });
      assert.equal(answer.status, 200, `${route}: ${answer.text.slice(0, 200)}`);
    }
    const teams = await call('get', '/admin/teams', { key: server.adminKey });
    assert.equal(teams.status, 200, teams.text);

    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    const seen = new Set<string>();
    const problems: string[] = [];
    for (const { route, method, status, body } of answers) {
      const schema =
        doc.paths[route]?.[method]?.responses[String(status)]?.content?.['application/json']?.schema;
      const where = `${method.toUpperCase()} ${route} ${status}`;
      seen.add(`${method} ${route}`);
      if (!schema) {
        problems.push(`${where}: undocumented`);
        continue;
      }
      const validate = ajv.compile(schema);
      if (!validate(body)) problems.push(`${where}: ${ajv.errorsText(validate.errors)}`);
    }
    assert.deepEqual(problems, []);
    // Creating answers were checked as well (the setup's dataset and run, the boundary cases' schedule).
    for (const created of [
      'post /runs',
      'post /datasets/synthetic',
      'put /schedules/{name}',
      'get /admin/teams',
    ])
      assert.ok(seen.has(created), `${created} was not checked`);
  });

  test("the CLI's --ess help example is a valid ESS request", () => {
    assert.ok(essParamsSchema.safeParse(JSON.parse(ESS_PARAMS_EXAMPLE)).success);
  });
});
