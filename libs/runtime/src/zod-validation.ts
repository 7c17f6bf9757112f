import {
  type ArgumentMetadata,
  BadRequestException,
  Body,
  Inject,
  Injectable,
  Param,
  type PipeTransform,
  Query,
  type Type,
  mixin,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@maskgen/config';
import type { TeamRequestLimits } from '@maskgen/contracts';
import { z } from 'zod';

/** A request schema, or one built from the team limits of the deployment (e.g. numSamples ≤ TEAM_MAX_SAMPLES_PER_RUN). */
export type SchemaSource = z.ZodType | ((limits: TeamRequestLimits) => z.ZodType);

export function resolveSchema(source: SchemaSource, limits: TeamRequestLimits): z.ZodType {
  return source instanceof z.ZodType ? source : source(limits);
}

/** One validation message per issue, phrased as the API always has: '<field> must not be greater than 500'. */
function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined || issue.input === null) return 'should not be null or undefined';
      if (issue.expected === 'int') return 'must be an integer number';
      return `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be shorter than or equal to ${issue.maximum} characters`;
      if (issue.origin === 'array') return `must contain no more than ${issue.maximum} elements`;
      return issue.inclusive
        ? `must not be greater than ${issue.maximum}`
        : `must be less than ${issue.maximum}`;
    case 'too_small':
      if (issue.origin === 'string') return `must be longer than or equal to ${issue.minimum} characters`;
      if (issue.origin === 'array') return `must contain at least ${issue.minimum} elements`;
      return issue.inclusive
        ? `must not be less than ${issue.minimum}`
        : `must be greater than ${issue.minimum}`;
    case 'invalid_value':
      return `must be one of the following values: ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'uuid' ? 'must be a UUID' : `must be a valid ${issue.format}`;
    case 'invalid_union':
      return 'options' in issue && Array.isArray(issue.options)
        ? `must be one of the following values: ${issue.options.map(String).join(', ')}`
        : 'does not match any of the allowed shapes';
    default:
      return undefined;
  }
}

/**
 * The messages of a failed parse. Custom issues (refinements) carry whole sentences; others are prefixed with the
 * field's path (or `root`, e.g. 'body'). Of two bounds on one field (a safe-integer bound and the schema's own) the
 * tighter one is reported.
 */
export function validationMessages(issues: readonly z.core.$ZodIssue[], root: string): string[] {
  const tightest = new Map<string, z.core.$ZodIssue>();
  for (const issue of issues) {
    if (issue.code !== 'too_big' && issue.code !== 'too_small') continue;
    const key = `${issue.code}:${issue.path.join('.')}`;
    const seen = tightest.get(key);
    const bound = (i: z.core.$ZodIssue) =>
      Number(i.code === 'too_big' ? i.maximum : i.code === 'too_small' ? i.minimum : 0);
    const tighter =
      issue.code === 'too_big'
        ? bound(issue) < (seen ? bound(seen) : Infinity)
        : bound(issue) > (seen ? bound(seen) : -Infinity);
    if (tighter) tightest.set(key, issue);
  }
  const messages = issues.flatMap((issue) => {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : root;
    if (
      (issue.code === 'too_big' || issue.code === 'too_small') &&
      tightest.get(`${issue.code}:${issue.path.join('.')}`) !== issue
    )
      return [];
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map(
        (key) => `property ${[...issue.path.map(String), key].join('.')} should not exist`,
      );
    if (issue.code === 'custom') return [issue.message];
    return [`${field} ${issue.message}`];
  });
  return [...new Set(messages)];
}

/** Parses `value` with `schema`; a failure is a 400 listing every problem. */
export function parseRequest<T extends z.ZodType>(schema: T, value: unknown, root: string): z.output<T> {
  const result = schema.safeParse(value, { error: issueMessage });
  if (!result.success) throw new BadRequestException(validationMessages(result.error.issues, root));
  return result.data;
}

/** A pipe validating (and transforming: defaults, coercion of query numbers) one argument with a zod schema. */
export function ZodValidationPipe(source: SchemaSource): Type<PipeTransform> {
  @Injectable()
  class ZodPipe implements PipeTransform {
    private readonly schema: z.ZodType;

    constructor(@Inject(APP_CONFIG) config: AppConfig) {
      this.schema = resolveSchema(source, config.limits);
    }

    transform(value: unknown, metadata: ArgumentMetadata): unknown {
      return parseRequest(this.schema, value, metadata.data ?? metadata.type);
    }
  }
  return mixin(ZodPipe);
}

/** Where each route's zod schemas are recorded, for the OpenAPI document (see applyZodSchemas). */
export const ZOD_ROUTE_METADATA = 'maskgen:zod-route';

export interface ZodResponseDoc {
  status: number;
  /** The JSON body; absent for 204 and for non-JSON answers described by `content`. */
  schema?: z.ZodType;
  description?: string;
  /** Other media types of the same status, e.g. text/csv. */
  content?: Record<string, { format?: 'binary' }>;
}

export interface ZodRouteDoc {
  body?: SchemaSource;
  /** The body is multipart/form-data with these file fields beside the schema's fields. */
  files?: readonly string[];
  query?: SchemaSource;
  responses: ZodResponseDoc[];
}

function routeDoc(target: object, key: string | symbol): ZodRouteDoc {
  const method = (target as Record<string | symbol, object>)[key];
  const doc = (Reflect.getMetadata(ZOD_ROUTE_METADATA, method) as ZodRouteDoc | undefined) ?? {
    responses: [],
  };
  Reflect.defineMetadata(ZOD_ROUTE_METADATA, doc, method);
  return doc;
}

/** The request body, validated with `source` and documented from it. */
export function ZodBody(
  source: SchemaSource,
  options: { files?: readonly string[] } = {},
): ParameterDecorator {
  return (target, key, index) => {
    Body(ZodValidationPipe(source))(target, key, index);
    const doc = routeDoc(target, key!);
    doc.body = source;
    if (options.files) doc.files = options.files;
  };
}

/** The query string as one object, validated with `source` (a zod object) and documented from it. */
export function ZodQuery(source: SchemaSource): ParameterDecorator {
  return (target, key, index) => {
    Query(ZodValidationPipe(source))(target, key, index);
    routeDoc(target, key!).query = source;
  };
}

/** One path parameter validated with `schema`. */
export function ZodParam(name: string, schema: z.ZodType): ParameterDecorator {
  return Param(name, ZodValidationPipe(schema));
}

/** A documented answer: its status and the zod schema of its JSON body (none for 204). */
export function ZodResponse(
  status: number,
  schema?: z.ZodType,
  options: Omit<ZodResponseDoc, 'status' | 'schema'> = {},
): MethodDecorator {
  return (target, key) => {
    routeDoc(target, key).responses.push({ status, schema, ...options });
  };
}
