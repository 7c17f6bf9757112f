import { applyDecorators, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { ZodResponse } from '@maskgen/runtime';
import type { z } from 'zod';
import { Idempotent } from './idempotency';

/*
 * The decorator stacks the controllers' routes share, each composed once: the route, its status code, its
 * OpenAPI summary (where it has one) and its documented answer.
 */

function summarised(summary: string | undefined): MethodDecorator[] {
  return summary === undefined ? [] : [ApiOperation({ summary })];
}

/** A read: GET `path`, answered 200 with `schema`. */
export function Read(path: string | undefined, schema: z.ZodType, summary?: string): MethodDecorator {
  return applyDecorators(Get(path), ...summarised(summary), ZodResponse(200, schema));
}

/**
 * A creation under an Idempotency-Key header: POST `path`, answered `status` with `schema` (201 when the
 * resource is made, 202 when its work is queued).
 */
export function Create(options: {
  path?: string;
  status: 201 | 202;
  summary: string;
  schema: z.ZodType;
}): MethodDecorator {
  const { path, status, summary, schema } = options;
  return applyDecorators(
    Post(path),
    ...(status === 201 ? [] : [HttpCode(status)]),
    Idempotent(),
    ApiOperation({ summary }),
    ZodResponse(status, schema),
  );
}

/** An action on one resource: POST `:id/<action>`, answered 200 with the resource (`schema`). */
export function Action(action: string, schema: z.ZodType, summary: string): MethodDecorator {
  return applyDecorators(
    Post(`:id/${action}`),
    HttpCode(200),
    ApiOperation({ summary }),
    ZodResponse(200, schema),
  );
}

/** A deletion: DELETE `path`, answered 204 with no body. */
export function Remove(path: string, summary?: string): MethodDecorator {
  return applyDecorators(Delete(path), HttpCode(204), ...summarised(summary), ZodResponse(204));
}

/** The `:id` path parameter, a UUID (400 otherwise). */
export function IdParam(): ParameterDecorator {
  return Param('id', ParseUUIDPipe);
}
