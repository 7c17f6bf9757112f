import { z } from 'zod';
import { timestamp, uuid } from './common';

/** POST /admin/teams. */
export const createTeamRequestSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be 2-63 lower-case letters, digits or -'),
});

/** POST /admin/teams/:id/api-keys. */
export const createApiKeyRequestSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[\w .-]{1,100}$/, 'must be 1-100 letters, digits, spaces, _ . or -')
    .meta({ description: 'What the key is for, e.g. "nightly-ci"' }),
});

export const teamSchema = z.object({
  id: uuid,
  name: z.string(),
  isAdmin: z.boolean(),
  createdAt: timestamp,
});
export const teamListSchema = z.array(teamSchema);

/** The key is shown only in this answer. */
export const createdApiKeySchema = z.object({
  id: uuid,
  teamId: uuid,
  name: z.string(),
  prefix: z.string(),
  key: z.string(),
});
