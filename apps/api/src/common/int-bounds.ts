import { type ArgumentMetadata, BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

/** PostgreSQL `integer` (int4): sample and shard indices are stored as int4. */
export const INT4_MAX = 2_147_483_647;
/**
 * SQL OFFSET is an int8; a JS number is exact only up to 2^53 − 1, which is well inside int8, so page offsets
 * stop there.
 */
export const OFFSET_MAX = Number.MAX_SAFE_INTEGER;

/** A non-negative int4 path parameter (e.g. a sample index); anything else is a 400 naming the range. */
@Injectable()
export class ParseIndexPipe implements PipeTransform<string | number, number> {
  transform(value: string | number, metadata: ArgumentMetadata): number {
    // The global ValidationPipe has already made a number of a parameter typed `number`; a raw string is read
    // only when it is all digits (at most 10, so it cannot round before the range check).
    const index = typeof value === 'number' ? value : /^\d{1,10}$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(index) || index < 0 || index > INT4_MAX) {
      throw new BadRequestException(`${metadata.data ?? 'value'} must be an integer in 0..${INT4_MAX}`);
    }
    return index;
  }
}
