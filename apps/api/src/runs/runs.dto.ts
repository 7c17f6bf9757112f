import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { PageQuery } from '../common/page.query';

export const SYNTHETIC_GENERATORS = ['cbf', 'synthetic-control'] as const;

export class SyntheticSamplerDto {
  @ApiProperty({
    enum: ['synthetic'],
    description: 'Reference sampler drawing from a built-in synthetic generator',
  })
  @IsIn(['synthetic'])
  kind!: 'synthetic';

  @ApiProperty({ enum: SYNTHETIC_GENERATORS })
  @IsIn(SYNTHETIC_GENERATORS)
  generator!: (typeof SYNTHETIC_GENERATORS)[number];

  @ApiProperty({ minimum: 8, maximum: 4096 })
  @IsInt()
  @Min(8)
  @Max(4096)
  length!: number;
}

export class CreateRunDto {
  @ApiProperty({ type: SyntheticSamplerDto })
  @ValidateNested()
  @Type(() => SyntheticSamplerDto)
  sampler!: SyntheticSamplerDto;

  @ApiProperty({
    minimum: 1,
    maximum: 100_000_000,
    description: 'Samples to generate (also capped per team)',
  })
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  numSamples!: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100_000, default: 1000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  shardSize?: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 4294967295,
    description: 'Random when omitted; stored on the run',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(4294967295)
  seed?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 10, default: 5, description: '10 is the most urgent' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10)
  priority?: number;
}

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export const RUN_KINDS = ['train', 'generate', 'evaluate'] as const;

export class ListRunsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: RUN_STATUSES })
  @IsOptional()
  @IsIn(RUN_STATUSES)
  status?: (typeof RUN_STATUSES)[number];

  @ApiPropertyOptional({ enum: RUN_KINDS })
  @IsOptional()
  @IsIn(RUN_KINDS)
  kind?: (typeof RUN_KINDS)[number];
}

export const EXPORT_FORMATS = ['json', 'csv', 'npy'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class SamplesQuery {
  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'json' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format?: ExportFormat;

  @ApiPropertyOptional({ default: 0, description: 'First sample index' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;

  @ApiPropertyOptional({
    description: 'Samples to return; JSON pages default to 100 (max 1000), CSV/NPY to all',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  limit?: number;
}
