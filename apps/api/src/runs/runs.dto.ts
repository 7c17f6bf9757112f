import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsUUID,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { BadRequestException } from '@nestjs/common';
import {
  CLASS_MODES,
  ESS_VARIANTS,
  MIN_EVALUATION_SAMPLES,
  SAMPLER_METHODS,
  essParamsConflict,
  normalizeEssParams,
  type EssVariantName,
  type GenerationRunTemplate,
} from '@maskgen/contracts';
import { DEFAULT_PARSE_LIMITS, syntheticLimitViolation } from '@maskgen/data';
import { INT4_MAX } from '../common/int-bounds';
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

export class EssParamsDto {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: 1,
    default: 0.3,
    description: 'Error window rate (window = rate·T)',
  })
  @IsOptional()
  @IsNumber()
  @Min(0.01)
  @Max(1)
  windowRate?: number;

  @ApiPropertyOptional({ default: 1.0, description: 'Stop threshold on the moving average of error ratios' })
  @IsOptional()
  @IsNumber()
  @Min(0.01)
  @Max(100)
  threshold?: number;

  @ApiPropertyOptional({ enum: ['lf', 'lf+hf'], default: 'lf' })
  @IsOptional()
  @IsIn(['lf', 'lf+hf'])
  applyTo?: 'lf' | 'lf+hf';

  @ApiPropertyOptional({
    enum: ESS_VARIANTS,
    default: 'R',
    description:
      "Resampling variant: 'R', the released algorithm (every token is redrawn at each step and any may be re-masked), or 'D', keep-visible (only the tokens reverse sampling re-masked may change)",
  })
  @IsOptional()
  @IsIn(ESS_VARIANTS)
  variant?: EssVariantName;

  @ApiPropertyOptional({
    deprecated: true,
    description: "Use variant: true is 'D', false is 'R'; refused when it contradicts variant",
  })
  @IsOptional()
  @IsBoolean()
  keepVisible?: boolean;
}

export class ModelSamplerDto {
  @ApiProperty({ enum: ['model'], description: "A trained model's sampler" })
  @IsIn(['model'])
  kind!: 'model';

  @ApiProperty({ description: 'A ready model of the team' })
  @IsUUID()
  modelId!: string;

  @ApiProperty({ enum: SAMPLER_METHODS })
  @IsIn(SAMPLER_METHODS)
  method!: (typeof SAMPLER_METHODS)[number];

  @ApiPropertyOptional({
    enum: CLASS_MODES,
    default: 'unconditional',
    description: "'balanced': sample i is conditioned on class i mod classes",
  })
  @IsOptional()
  @IsIn(CLASS_MODES)
  classes?: (typeof CLASS_MODES)[number];

  @ApiPropertyOptional({ type: EssParamsDto, description: "ESS parameters (method 'ess')" })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => EssParamsDto)
  ess?: EssParamsDto;
}

export type SamplerDto = SyntheticSamplerDto | ModelSamplerDto;

/** Picks the sampler class by `kind`; an unknown kind stays a plain object and fails validation. */
function samplerClass(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  const kind = (value as { kind?: unknown }).kind;
  if (kind === 'model') return plainToInstance(ModelSamplerDto, value);
  if (kind === 'synthetic') return plainToInstance(SyntheticSamplerDto, value);
  return value;
}

function IsSamplerObject() {
  return ValidateBy({
    name: 'isSampler',
    validator: {
      validate: (value: unknown) => value instanceof SyntheticSamplerDto || value instanceof ModelSamplerDto,
      defaultMessage: () => "sampler must be an object whose kind is 'synthetic' or 'model'",
    },
  });
}

@ApiExtraModels(SyntheticSamplerDto, ModelSamplerDto)
export class CreateRunDto {
  @ApiProperty({
    oneOf: [{ $ref: getSchemaPath(SyntheticSamplerDto) }, { $ref: getSchemaPath(ModelSamplerDto) }],
    description:
      "kind 'synthetic' (reference generators) or 'model' (naive or ESS sampling of a ready model)",
  })
  @Transform(({ value }) => samplerClass(value))
  @ValidateNested()
  @IsSamplerObject()
  sampler!: SamplerDto;

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

/**
 * The validated request as the run template the starter (and a schedule) stores. Throws
 * BadRequestException for what the DTO alone cannot express.
 */
export function toRunTemplate(request: CreateRunDto): GenerationRunTemplate {
  const { sampler } = request;
  const shardSize = request.shardSize ?? 1000;
  if (sampler.kind === 'model' && request.numSamples < MIN_EVALUATION_SAMPLES) {
    throw new BadRequestException(
      `numSamples must be at least ${MIN_EVALUATION_SAMPLES} for a model sampler: its run is evaluated (the Inception Score uses ${MIN_EVALUATION_SAMPLES} splits)`,
    );
  }
  if (sampler.kind === 'model' && sampler.ess) {
    const conflict = essParamsConflict(sampler.ess);
    if (conflict !== undefined) throw new BadRequestException(conflict);
  }
  if (sampler.kind === 'synthetic') {
    // The worker generates a shard in one call; refuse here what that call would refuse there.
    const largestShard = Math.min(shardSize, request.numSamples);
    const violation = syntheticLimitViolation(largestShard, sampler.length);
    if (violation !== undefined) {
      throw new BadRequestException(
        `shardSize × sampler.length is over the worker's limit for one shard (${violation}); use a shardSize of at most ${Math.floor(DEFAULT_PARSE_LIMITS.maxTotalValues / sampler.length)}`,
      );
    }
  }
  return {
    sampler:
      sampler.kind === 'model'
        ? {
            kind: 'model',
            modelId: sampler.modelId,
            method: sampler.method,
            classes: sampler.classes ?? 'unconditional',
            ...(sampler.ess ? { ess: normalizeEssParams({ ...sampler.ess }) } : {}),
          }
        : { kind: 'synthetic', generator: sampler.generator, length: sampler.length },
    numSamples: request.numSamples,
    shardSize,
    priority: request.priority ?? 5,
    seed: request.seed,
  };
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

  @ApiPropertyOptional({ default: 0, maximum: INT4_MAX, description: 'First sample index' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  // Compared with sample_index, an int4 column.
  @Max(INT4_MAX)
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

  @ApiPropertyOptional({
    description:
      "JSON pages only: 'true' gives only the samples ESS made worse in the critic's eyes (critic.worseUnderEss), " +
      'and total counts them',
  })
  @IsOptional()
  // A query string says 'true' or 'false'; anything else stays as it is and fails @IsBoolean.
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  worse?: boolean;
}

export class CompareRunsQuery {
  @ApiProperty({
    description:
      "Comma-separated run ids (1 to 20), or groups of runs (one per sampling seed) separated by ';', e.g. a1,a2,a3;b1,b2,b3",
    example: 'id1,id2',
  })
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(/[,;]/)
          .map((id) => id.trim())
          .filter((id) => id.length > 0)
      : value,
  )
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @IsUUID('all', { each: true })
  ids!: string[];
}
