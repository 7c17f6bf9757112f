import { z } from 'zod';
import { MAX_SHARD_SIZE, OFFSET_MAX, RUN_PRIORITY, SEED_MAX, SYNTHETIC_LENGTH } from './values';

/**
 * Limits that a deployment sets per team (TEAM_* in libs/config) and that bound request fields: the request schemas
 * that depend on one are functions of these, built by the API from its configuration.
 */
export interface TeamRequestLimits {
  /** TEAM_MAX_SAMPLES_PER_RUN. */
  readonly samplesPerRun: number;
}

export const uuid = z.uuid();

// Fields that requests, stored templates and job payloads share: one schema each, so their bounds cannot drift.
export const seedSchema = z.number().int().min(0).max(SEED_MAX);
export const syntheticLengthSchema = z.number().int().min(SYNTHETIC_LENGTH.min).max(SYNTHETIC_LENGTH.max);
export const shardSizeSchema = z.number().int().min(1).max(MAX_SHARD_SIZE);
export const runPrioritySchema = z.number().int().min(RUN_PRIORITY.min).max(RUN_PRIORITY.max);

/** Query values arrive as text: a decimal number is read as one (then checked), anything else fails as not a number. */
function numberFromQuery(value: unknown): unknown {
  return typeof value === 'string' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(value) ? Number(value) : value;
}

/** An integer query parameter in min..max. */
export function queryInt(min: number, max: number) {
  return z.preprocess(numberFromQuery, z.number().int().min(min).max(max));
}

/** ISO 8601 timestamps, as JSON renders a Date. */
export const timestamp = z.iso.datetime();

/** offset/limit paging shared by the list endpoints. */
export const pageQuerySchema = z.strictObject({
  offset: queryInt(0, OFFSET_MAX).optional().meta({ description: 'First item (default 0)' }),
  limit: queryInt(1, 500).optional().meta({ description: 'Items per page (default 50)' }),
});
export type PageQuery = z.output<typeof pageQuerySchema>;

/** A page of a list endpoint. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int().min(0),
    limit: z.number().int().min(1),
    offset: z.number().int().min(0),
  });
}
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

const RESOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$/;
/** Dataset and model names. */
export const resourceName = z
  .string()
  .regex(RESOURCE_NAME, 'must be 1-100 letters, digits, spaces, _ . or -, starting with a letter or digit');

/** The latest value of each metric, by name. */
export const metricValues = z.record(z.string(), z.number());
