import {
  BadRequestException,
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import type { Observable } from 'rxjs';

/** Deeper request bodies are refused: transformation and validation recurse once per level. */
export const MAX_JSON_DEPTH = 32;

/** Whether a parsed JSON value nests arrays/objects deeper than `maxDepth`. Iterative, so any depth is safe. */
export function jsonDepthExceeds(value: unknown, maxDepth: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (typeof item.value !== 'object' || item.value === null) continue;
    const depth = item.depth + 1;
    if (depth > maxDepth) return true;
    for (const child of Object.values(item.value)) stack.push({ value: child, depth });
  }
  return false;
}

/**
 * Refuses a body nested deeper than `maxDepth` before anything else of ours reads it. JSON.parse copes with any
 * depth (V8's parser is iterative), but whatever walks the body recursively afterwards would overflow the stack:
 * the idempotency hash of a route interceptor, the route's zod validation. Registered as the first global
 * interceptor, it runs after the guards (which never read the body) and before every route interceptor and pipe.
 */
@Injectable()
export class JsonDepthInterceptor implements NestInterceptor {
  constructor(private readonly maxDepth = MAX_JSON_DEPTH) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const body = context.switchToHttp().getRequest<{ body?: unknown }>().body;
      if (jsonDepthExceeds(body, this.maxDepth)) {
        throw new BadRequestException(`JSON nested deeper than ${this.maxDepth} levels`);
      }
    }
    return next.handle();
  }
}
