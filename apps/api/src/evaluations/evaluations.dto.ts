import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsOptional, IsUUID, ValidateIf } from 'class-validator';
import { PageQuery } from '../common/page.query';

export const EVALUATION_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

/** Either `runId` (evaluate a run's samples) or `datasetId` + `split` (evaluate real data). */
export class CreateEvaluationDto {
  @ApiPropertyOptional({ description: 'A finished generation run of the team' })
  @ValidateIf((body: CreateEvaluationDto) => body.datasetId === undefined)
  @IsUUID(undefined, { message: 'runId must be a UUID (or give datasetId and split instead)' })
  runId?: string;

  @ApiPropertyOptional({ description: 'Evaluate a real split of this dataset against its test split' })
  @ValidateIf((body: CreateEvaluationDto) => body.runId === undefined)
  @IsUUID()
  datasetId?: string;

  @ApiPropertyOptional({ enum: ['train', 'test'], description: 'With datasetId' })
  @ValidateIf((body: CreateEvaluationDto) => body.datasetId !== undefined)
  @IsDefined({ message: 'split is required with datasetId' })
  @IsIn(['train', 'test'])
  split?: 'train' | 'test';

  @ApiPropertyOptional({
    description:
      "Ready model whose evaluation classifier is used; defaults to the run's model, or for a split to the newest ready model of the dataset",
  })
  @IsOptional()
  @IsUUID()
  modelId?: string;
}

export class ListEvaluationsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: EVALUATION_STATUSES })
  @IsOptional()
  @IsIn(EVALUATION_STATUSES)
  status?: (typeof EVALUATION_STATUSES)[number];
}
