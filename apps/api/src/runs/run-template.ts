import { BadRequestException } from '@nestjs/common';
import type { CreateRunInput, GenerationRunTemplate } from '@maskgen/contracts';
import { DEFAULT_PARSE_LIMITS, syntheticLimitViolation } from '@maskgen/data';

/**
 * The validated request (createRunRequestSchema: defaults applied, ESS parameters normalised) as the run template the
 * starter (and a schedule) stores. Throws BadRequestException for what the worker would refuse.
 */
export function toRunTemplate(request: CreateRunInput): GenerationRunTemplate {
  const { sampler } = request;
  if (sampler.kind === 'synthetic') {
    // The worker generates a shard in one call; refuse here what that call would refuse there.
    const largestShard = Math.min(request.shardSize, request.numSamples);
    const violation = syntheticLimitViolation(largestShard, sampler.length);
    if (violation !== undefined) {
      throw new BadRequestException(
        `shardSize × sampler.length is over the worker's limit for one shard (${violation}); use a shardSize of at most ${Math.floor(DEFAULT_PARSE_LIMITS.maxTotalValues / sampler.length)}`,
      );
    }
  }
  const { numSamples, shardSize, priority, seed } = request;
  return { sampler, numSamples, shardSize, priority, seed };
}
