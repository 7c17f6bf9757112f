import { type ArgumentMetadata, BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { INT4_MAX } from '@maskgen/contracts';

/** A non-negative int4 path parameter (e.g. a sample index); anything else is a 400 naming the range. */
@Injectable()
export class ParseIndexPipe implements PipeTransform<string | number, number> {
  transform(value: string | number, metadata: ArgumentMetadata): number {
    // A raw string is read only when it is all digits (at most 10, so it cannot round before the range check).
    const index = typeof value === 'number' ? value : /^\d{1,10}$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(index) || index < 0 || index > INT4_MAX) {
      throw new BadRequestException(`${metadata.data ?? 'value'} must be an integer in 0..${INT4_MAX}`);
    }
    return index;
  }
}
