import { z } from 'zod';

/** GET /health/live. */
export const liveSchema = z.object({ status: z.literal('ok') });

const indicators = z.record(z.string(), z.looseObject({ status: z.string() }));
/** GET /health/ready (@nestjs/terminus' answer); 503 with the same shape when a dependency is down. */
export const readySchema = z.object({
  status: z.enum(['ok', 'error', 'shutting_down']),
  info: indicators.optional(),
  error: indicators.optional(),
  details: indicators,
});

/** GET /events: a text/event-stream of these (`event: <type>`, `data: <JSON>`). */
export const progressEventSchema = z.object({
  /** 'run' or 'model' (others may be added). */
  type: z.string(),
  data: z.looseObject({ id: z.string(), status: z.string(), progress: z.unknown().optional() }),
});
export type ProgressEvent = z.output<typeof progressEventSchema>;
