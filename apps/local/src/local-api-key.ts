import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { environmentSchema } from '@maskgen/config';
import type { TeamRepository } from '@maskgen/persistence';

export const LOCAL_TEAM = 'local';

/**
 * Local mode has one team, `local`. Its API key is created on first start and
 * kept in `<data dir>/api-key` (mode 600): the database only holds its hash,
 * so the file is where the user finds it again.
 */
export async function ensureLocalApiKey(
  teams: TeamRepository,
  dataDir: string,
): Promise<{ key: string; file: string; created: boolean }> {
  const file = path.join(dataDir, 'api-key');
  const team = await teams.ensureTeam(LOCAL_TEAM);
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (existing && (await teams.findTeamByApiKey(existing))?.id === team.id) {
    return { key: existing, file, created: false };
  }
  const { key } = await teams.createApiKey(team.id, 'local mode');
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return { key, file, created: true };
}

/**
 * Local mode's admin key, which opens the queue dashboard (Bull Board at /admin/queues) and the team
 * endpoints: ADMIN_API_KEY when it is set; otherwise one made on first start and kept in
 * `<data dir>/admin-api-key` (mode 600), like the team's key.
 */
export async function ensureLocalAdminKey(
  configured: string | undefined,
  dataDir: string,
): Promise<{ key: string; file: string | undefined; created: boolean }> {
  if (configured) return { key: configured, file: undefined, created: false };
  const file = path.join(dataDir, 'admin-api-key');
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  // Held to ADMIN_API_KEY's own rules, so a hand-edited file cannot hold a weaker key.
  const valid = environmentSchema.shape.ADMIN_API_KEY.safeParse(existing);
  if (valid.success && valid.data) return { key: valid.data, file, created: false };
  const key = `mga_${randomBytes(24).toString('base64url')}`;
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return { key, file, created: true };
}
