import { Injectable } from '@nestjs/common';
import { JobName, type FireSchedulePayload } from '@maskgen/contracts';
import { GenerationRunStarter, RunTemplateError, type JobContext } from '@maskgen/queues';
import { UnrecoverableError } from 'bullmq';
import { OnJob } from '@maskgen/queues';

/** A schedule firing starts one run from its template, like a request to POST /runs would. */
@Injectable()
export class ScheduleHandlers {
  constructor(private readonly starter: GenerationRunStarter) {}

  @OnJob(JobName.FireSchedule)
  async fire(payload: FireSchedulePayload, context: JobContext): Promise<{ runId: string }> {
    let run;
    try {
      run = await this.starter.start(payload.teamId, payload.run, { schedule: payload.scheduleName });
    } catch (error) {
      // A deleted or unready model will not come back by retrying this firing.
      if (error instanceof RunTemplateError) throw new UnrecoverableError(error.message);
      throw error;
    }
    context.logger.info({ schedule: payload.scheduleName, startedRunId: run.id }, 'scheduled run started');
    return { runId: run.id };
  }
}
