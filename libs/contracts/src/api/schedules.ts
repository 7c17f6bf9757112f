import { z } from 'zod';
import { generationRunTemplateSchema } from '../jobs';
import { metricValues, timestamp, uuid, type TeamRequestLimits } from './common';
import { createRunRequestSchema } from './runs';
import { RUN_STATUSES } from './values';

/** The `:name` of every schedule route. */
export const scheduleNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lower-case letters, digits or -');

/** PUT /schedules/:name. */
export function putScheduleRequestSchema(limits: TeamRequestLimits) {
  return z.strictObject({
    cron: z
      .string()
      .max(100)
      .meta({ example: '0 2 * * *', description: 'Cron pattern (5 fields, or 6 with seconds)' }),
    timezone: z
      .string()
      .max(64)
      .meta({ example: 'Europe/Oslo', description: 'IANA time zone the pattern is read in' }),
    run: createRunRequestSchema(limits).meta({ description: 'The generation run started at every firing' }),
  });
}
export type PutScheduleRequest = z.input<ReturnType<typeof putScheduleRequestSchema>>;

/** A schedule; `run` is the stored run template (defaults applied). */
export const scheduleSchema = z.object({
  name: z.string(),
  cron: z.string(),
  timezone: z.string(),
  /** When it fires next (GET /schedules only). */
  nextRunAt: timestamp.nullable().optional(),
  run: generationRunTemplateSchema,
});
export type Schedule = z.output<typeof scheduleSchema>;
export const scheduleListSchema = z.object({ items: z.array(scheduleSchema) });

export const scheduleHistoryEntrySchema = z.object({
  runId: uuid,
  createdAt: timestamp,
  status: z.enum(RUN_STATUSES),
  error: z.string().nullable(),
  metrics: metricValues,
});
export type ScheduleHistoryEntry = z.output<typeof scheduleHistoryEntrySchema>;
export const scheduleHistorySchema = z.array(scheduleHistoryEntrySchema);
