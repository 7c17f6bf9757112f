import { SetMetadata } from '@nestjs/common';
import type { JobName } from '@maskgen/contracts';

export const ON_JOB_METADATA = 'maskgen:on-job';

/**
 * Marks a service method as the handler of these job names; the registry finds it at boot. A method that handles
 * several tells them apart by JobContext.job.
 */
export const OnJob = (...names: [JobName, ...JobName[]]) => SetMetadata(ON_JOB_METADATA, names);
