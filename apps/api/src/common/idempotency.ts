import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  applyDecorators,
  BadRequestException,
  type CallHandler,
  ConflictException,
  type ExecutionContext,
  HttpStatus,
  Inject,
  Injectable,
  type NestInterceptor,
  UnprocessableEntityException,
  UseInterceptors,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import { ROOT_LOGGER } from '@maskgen/observability';
import { IdempotencyKeyRepository } from '@maskgen/persistence';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/api-key.guard';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** How long a key is remembered (and its first response replayed). */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3600 * 1000;
/** A claim whose request has not finished after this long is taken for dead (its process died) and replaced. */
export const IDEMPOTENCY_PENDING_LEASE_MS = 5 * 60 * 1000;
/** How long a retry waits for a concurrent first request with its key before answering 409. */
const CONCURRENT_WAIT_MS = 10_000;
const PURGE_EVERY_MS = 3600 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * Idempotent creation: with an Idempotency-Key header, the first request of a team with that key claims it
 * (a row in idempotency_keys; its primary key lets one of two concurrent requests win) and its successful
 * response is stored; a retry with the key gets that response again and creates nothing, a retry with another
 * method, route or body is refused (422). A failed first request releases the key, so a retry is handled
 * afresh (nothing was created: errors create nothing, and queue outages take back what they stored).
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private lastPurge = 0;

  constructor(
    private readonly keys: IdempotencyKeyRepository,
    private readonly reflector: Reflector,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return from(this.handle(context, next));
  }

  private async handle(context: ExecutionContext, next: CallHandler): Promise<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest & Request>();
    const key = request.header(IDEMPOTENCY_HEADER);
    const team = request.team;
    if (key === undefined || !team) return lastValueFrom(next.handle(), { defaultValue: undefined });
    if (!KEY_PATTERN.test(key)) {
      throw new BadRequestException(`${IDEMPOTENCY_HEADER} must be 1-255 printable ASCII characters`);
    }
    this.purgeNowAndThen();
    const route = `${request.method} ${routePath(request)}`;
    const hash = await requestHash(route, request);
    const deadline = Date.now() + CONCURRENT_WAIT_MS;
    for (;;) {
      const claim = await this.keys.claim(
        team.id,
        key,
        route,
        hash,
        IDEMPOTENCY_KEY_TTL_MS,
        IDEMPOTENCY_PENDING_LEASE_MS,
      );
      if (claim.outcome === 'claimed') break;
      if (claim.requestHash !== hash) {
        throw new UnprocessableEntityException(
          `${IDEMPOTENCY_HEADER} "${key}" was already used for a different request (${claim.request}${
            claim.request === route ? ' with another body' : ''
          }); use a new key for a new request`,
        );
      }
      if (claim.outcome === 'completed') {
        http.getResponse<Response>().setHeader('idempotent-replayed', 'true');
        return claim.body;
      }
      if (Date.now() > deadline) {
        http.getResponse<Response>().setHeader('retry-after', '1');
        throw new ConflictException(
          `A request with ${IDEMPOTENCY_HEADER} "${key}" is still being handled; retry shortly`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    let body: unknown;
    try {
      // As sent: what JSON.stringify makes of it (dates become strings), so a replay is byte for byte the same.
      const result: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
      body = result === undefined ? undefined : (JSON.parse(JSON.stringify(result)) as unknown);
    } catch (error) {
      await this.keys.release(team.id, key).catch((releaseError: unknown) => {
        this.logger.warn({ err: releaseError, key }, 'could not release an idempotency key');
      });
      throw error;
    }
    try {
      await this.keys.complete(team.id, key, this.statusOf(context, request), body ?? null);
    } catch (error) {
      // The resource exists: answer with it; a retry waits for the claim's lease instead of a replay.
      this.logger.warn({ err: error, key }, 'could not store the response of an idempotent request');
    }
    return body;
  }

  /** The status Nest answers a handler's result with (handlers of these routes never set it themselves). */
  private statusOf(context: ExecutionContext, request: Request): number {
    const code = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler());
    return code ?? (request.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
  }

  private purgeNowAndThen(): void {
    if (Date.now() - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = Date.now();
    this.keys.purgeExpired().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not purge expired idempotency keys');
    });
  }
}

/** The matched route (`/runs`, `/datasets/upload`), not the URL: query strings do not count. */
function routePath(request: Request): string {
  const route: unknown = (request as { route?: unknown }).route;
  const path = route !== null && typeof route === 'object' ? (route as { path?: unknown }).path : undefined;
  return typeof path === 'string' ? `${request.baseUrl}${path}` : request.path;
}

/** SHA-256 over route and body (keys sorted, so their order does not matter) and the uploaded files' contents. */
async function requestHash(route: string, request: Request): Promise<string> {
  const hash = createHash('sha256').update(route).update('\n').update(canonicalJson(request.body));
  const files = (request as Request & { files?: unknown }).files;
  if (files && typeof files === 'object') {
    const list = Object.entries(
      files as Record<string, { originalname?: string; buffer?: Buffer; path?: string; size?: number }[]>,
    )
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([field, items]) => (Array.isArray(items) ? items.map((file) => ({ field, file })) : []));
    for (const { field, file } of list) {
      hash.update(`\n${field}:${file.originalname ?? ''}:${file.size ?? 0}:`);
      if (file.buffer) hash.update(file.buffer);
      // Disk storage (uploads are kept out of memory): hash the stored file as a stream.
      else if (file.path) for await (const chunk of createReadStream(file.path)) hash.update(chunk as Buffer);
    }
  }
  return hash.digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Marks a creating route as idempotent under an Idempotency-Key header (IdempotencyInterceptor), with the
 * header and the 422 in its OpenAPI description. On a route with a file interceptor, put it above that
 * decorator, so the uploaded files are parsed (and hashed) first.
 */
export function Idempotent(): MethodDecorator {
  return applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: IDEMPOTENCY_HEADER,
      required: false,
      description:
        'Any 1-255 printable ASCII characters, unique per intended creation (e.g. a UUID). A retry with the same key ' +
        '(same team) within 24 h gets the first response again (header Idempotent-Replayed: true) and creates ' +
        'nothing; the same key with another route or body is a 422; while the first request is still being ' +
        'handled a retry waits up to 10 s, then gets 409.',
      schema: { type: 'string', maxLength: 255 },
    }),
    ApiResponse({
      status: HttpStatus.UNPROCESSABLE_ENTITY,
      description: `The ${IDEMPOTENCY_HEADER} was used before for a different request`,
    }),
  );
}
