import { RequestMethod, type INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import type {
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import type { TeamRequestLimits } from '@maskgen/contracts';
import { z } from 'zod';
import { ZOD_ROUTE_METADATA, resolveSchema, type ZodRouteDoc } from './zod-validation';

/** A zod schema as an OpenAPI 3.0 schema: 'input' for requests (defaults optional), 'output' for answers. */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output'): SchemaObject {
  const json = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io,
    unrepresentable: 'any',
  }) as SchemaObject & {
    $schema?: string;
  };
  delete json.$schema;
  return nullableEnums(json) as SchemaObject;
}

/** OpenAPI 3.0 wants `null` among the values of a nullable enum (zod's converter leaves it out). */
function nullableEnums(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableEnums);
  if (typeof node !== 'object' || node === null) return node;
  const entries = Object.entries(node).map(([key, value]) => [key, nullableEnums(value)] as const);
  const copy = Object.fromEntries(entries) as { nullable?: boolean; enum?: unknown[] };
  if (copy.nullable === true && Array.isArray(copy.enum) && !copy.enum.includes(null))
    copy.enum = [...copy.enum, null];
  return copy;
}

interface Route {
  path: string;
  method: string;
  doc: ZodRouteDoc;
}

/** `/runs/{id}/cancel` from a controller path and a method path, as @nestjs/swagger writes it. */
function openApiPath(...parts: unknown[]): string {
  const joined = parts
    .flatMap((part) => (Array.isArray(part) ? [part[0] as unknown] : [part]))
    .filter((part): part is string => typeof part === 'string' && part.length > 0 && part !== '/')
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .join('/');
  return `/${joined}`.replace(/:(\w+)/g, '{$1}');
}

/** Every controller method that recorded zod schemas (ZodBody, ZodQuery, ZodResponse). */
function zodRoutes(app: INestApplication): Route[] {
  const routes: Route[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const prefix: unknown = Reflect.getMetadata(PATH_METADATA, controller);
      const prototype = controller.prototype as object;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        // Read as a descriptor: a getter must not run on the prototype.
        const handler: unknown = Object.getOwnPropertyDescriptor(prototype, name)?.value;
        if (typeof handler !== 'function') continue;
        const doc = Reflect.getMetadata(ZOD_ROUTE_METADATA, handler) as ZodRouteDoc | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (!doc || method === undefined) continue;
        const path = openApiPath(prefix, Reflect.getMetadata(PATH_METADATA, handler));
        routes.push({ path, method: RequestMethod[method].toLowerCase(), doc });
      }
    }
  }
  return routes;
}

function queryParameters(schema: z.ZodType): ParameterObject[] {
  const json = openApiSchema(schema, 'input');
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property as SchemaObject;
    return {
      name,
      in: 'query',
      required: required.has(name),
      schema: rest,
      ...(description ? { description } : {}),
    };
  });
}

function requestBody(doc: ZodRouteDoc, schema: z.ZodType): OperationObject['requestBody'] {
  const json = openApiSchema(schema, 'input');
  if (!doc.files) return { required: true, content: { 'application/json': { schema: json } } };
  const files = Object.fromEntries(doc.files.map((name) => [name, { type: 'string', format: 'binary' }]));
  return {
    required: true,
    content: {
      'multipart/form-data': {
        schema: {
          ...json,
          properties: { ...json.properties, ...files },
          required: [...(json.required ?? []), ...doc.files],
        },
      },
    },
  };
}

function responses(doc: ZodRouteDoc, existing: OperationObject['responses']): OperationObject['responses'] {
  const merged: Record<string, ResponseObject> = {};
  // Keep what @nestjs/swagger documented of other statuses; the zod answers replace the success ones.
  for (const [status, response] of Object.entries(existing ?? {})) {
    if (!/^2/.test(status)) merged[status] = response as ResponseObject;
  }
  for (const response of doc.responses) {
    const content: NonNullable<ResponseObject['content']> = {};
    if (response.schema) content['application/json'] = { schema: openApiSchema(response.schema, 'output') };
    for (const [media, { format }] of Object.entries(response.content ?? {})) {
      content[media] = { schema: { type: 'string', ...(format ? { format } : {}) } };
    }
    merged[String(response.status)] = {
      description: response.description ?? (response.status === 204 ? 'No content' : 'OK'),
      ...(Object.keys(content).length > 0 ? { content } : {}),
    };
  }
  return merged;
}

/**
 * Writes each route's zod schemas into the OpenAPI document: the request body, the query parameters and the answers,
 * with the request limits of this deployment (so the document states the numSamples bound the API enforces).
 */
export function applyZodSchemas(
  app: INestApplication,
  document: OpenAPIObject,
  limits: TeamRequestLimits,
): void {
  for (const { path, method, doc } of zodRoutes(app)) {
    const operation = (document.paths[path] as Record<string, OperationObject> | undefined)?.[method];
    if (!operation) continue;
    if (doc.body) operation.requestBody = requestBody(doc, resolveSchema(doc.body, limits));
    const parameters = (operation.parameters ?? []) as ParameterObject[];
    if (doc.query) {
      operation.parameters = [
        ...parameters.filter((parameter) => parameter.in !== 'query'),
        ...queryParameters(resolveSchema(doc.query, limits)),
      ];
    }
    if (doc.responses.length > 0) operation.responses = responses(doc, operation.responses);
  }
}
