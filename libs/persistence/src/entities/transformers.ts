import type { ValueTransformer } from 'typeorm';

/** node-postgres returns int8 as a string; our bigint columns hold seeds and counts that fit in a double. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
