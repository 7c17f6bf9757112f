import { SetMetadata } from '@nestjs/common';
import type { JobName } from '@maskgen/contracts';

export const ON_JOB_METADATA = 'maskgen:on-job';

/** Marks a service method as the handler of one job name; the registry finds it at boot. */
export const OnJob = (name: JobName) => SetMetadata(ON_JOB_METADATA, name);
