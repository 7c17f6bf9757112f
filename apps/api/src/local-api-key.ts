import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
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
