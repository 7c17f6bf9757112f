import { type ArgumentMetadata, BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

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
 * Runs before the route's zod validation: JSON.parse copes with any depth (V8's parser is iterative), but a
 * recursive validator would then overflow the stack on a body nested thousands deep.
 */
@Injectable()
export class JsonDepthPipe implements PipeTransform {
  constructor(private readonly maxDepth = MAX_JSON_DEPTH) {}

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'body' && jsonDepthExceeds(value, this.maxDepth)) {
      throw new BadRequestException(`JSON nested deeper than ${this.maxDepth} levels`);
    }
    return value;
  }
}
