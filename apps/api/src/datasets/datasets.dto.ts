import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { PageQuery } from '../common/page.query';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$/;
const NAME_MESSAGE = 'name must be 1-100 letters, digits, spaces, _ . or -, starting with a letter or digit';

export class UploadDatasetDto {
  @ApiProperty({ description: 'Unique within the team' })
  @IsString()
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  name!: string;

  @ApiPropertyOptional({ enum: ['reject', 'interpolate'], default: 'reject' })
  @IsOptional()
  @IsIn(['reject', 'interpolate'])
  missing?: 'reject' | 'interpolate';

  @ApiPropertyOptional({ enum: ['reject', 'resample'], default: 'reject' })
  @IsOptional()
  @IsIn(['reject', 'resample'])
  length?: 'reject' | 'resample';
}

export class SyntheticDatasetDto {
  @ApiProperty()
  @IsString()
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  name!: string;

  @ApiProperty({ enum: ['cbf', 'synthetic-control'] })
  @IsIn(['cbf', 'synthetic-control'])
  generator!: 'cbf' | 'synthetic-control';

  @ApiPropertyOptional({
    minimum: 8,
    maximum: 4096,
    description: "Defaults to the generator's classic length",
  })
  @IsOptional()
  @IsInt()
  @Min(8)
  @Max(4096)
  length?: number;

  @ApiProperty({ minimum: 1, maximum: 10000 })
  @IsInt()
  @Min(1)
  @Max(10_000)
  trainPerClass!: number;

  @ApiProperty({ minimum: 1, maximum: 10000 })
  @IsInt()
  @Min(1)
  @Max(10_000)
  testPerClass!: number;

  @ApiProperty({ minimum: 0, maximum: 4294967295 })
  @IsInt()
  @Min(0)
  @Max(4294967295)
  seed!: number;
}

export class BuiltinDatasetDto {
  @ApiProperty({
    enum: ['CBF', 'ECG200', 'GunPoint', 'ItalyPowerDemand'],
    description: 'A vendored UCR dataset',
  })
  @IsIn(['CBF', 'ECG200', 'GunPoint', 'ItalyPowerDemand'])
  dataset!: 'CBF' | 'ECG200' | 'GunPoint' | 'ItalyPowerDemand';

  @ApiPropertyOptional({ description: 'Defaults to the dataset name' })
  @IsOptional()
  @IsString()
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  name?: string;
}

export class SeriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['train', 'test'], default: 'train' })
  @IsOptional()
  @IsIn(['train', 'test'])
  split?: 'train' | 'test';
}
