import type { CriticScores, TokenGridScores } from '@maskgen/contracts';
import type { StoredCriticScores } from '@maskgen/persistence';

/**
 * GET /runs/:id/samples/:index/critic: one sample's per-token critic scores, per band, in the contract's shape
 * (criticScoresSchema), which the client and the dashboard's heatmap read as it is.
 */
export function criticView(stored: StoredCriticScores[]): CriticScores {
  const band = (name: 'lf' | 'hf'): TokenGridScores | null => {
    const before = stored.find((row) => row.band === name && row.phase === 'before');
    const after = stored.find((row) => row.band === name && row.phase === 'after');
    const shape = before ?? after;
    if (!shape) return null;
    const remasked = after?.remasked ?? before?.remasked ?? null;
    return {
      rows: shape.rows,
      columns: shape.columns,
      before: before ? Array.from(before.scores) : [],
      after: after ? Array.from(after.scores) : null,
      remasked: remasked ? Array.from(remasked) : null,
    };
  };
  return { lf: band('lf'), hf: band('hf') };
}
