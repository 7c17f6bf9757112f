import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { DEFAULT_TRAINING_PROFILE, TRAINING_PROFILES, type TrainingProfileName } from '@maskgen/contracts';
import { PageQuery } from '../common/page.query';

export const MODEL_STATUSES = ['pending', 'training', 'ready', 'failed', 'cancelled'] as const;

export class CreateModelDto {
  @ApiProperty({ description: 'Dataset of the team to train on (its train split)' })
  @IsUUID()
  datasetId!: string;

  @ApiPropertyOptional({ description: 'Defaults to "<dataset name>-<profile>"' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$/, {
    message: 'name must be 1-100 letters, digits, spaces, _ . or -, starting with a letter or digit',
  })
  name?: string;

  @ApiPropertyOptional({
    enum: TRAINING_PROFILES,
    default: DEFAULT_TRAINING_PROFILE,
    description: "Size preset: 'tiny' (seconds, for tests), 'cpu' (minutes), 'paper' (the spec's sizes)",
  })
  @IsOptional()
  @IsIn(TRAINING_PROFILES)
  profile?: TrainingProfileName;

  @ApiPropertyOptional({ minimum: 0, maximum: 4294967295, description: 'Random when omitted' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(4294967295)
  seed?: number;
}

export class ListModelsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: MODEL_STATUSES })
  @IsOptional()
  @IsIn(MODEL_STATUSES)
  status?: (typeof MODEL_STATUSES)[number];

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  datasetId?: string;
}
