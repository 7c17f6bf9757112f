import type { StoredCriticScores } from '@maskgen/persistence';

export interface BandCriticView {
  rows: number;
  columns: number;
  /** Scores of the tokens the naive pass produced (s_T). */
  before: number[];
  /** Scores of the final tokens after ESS; null for naive sampling. */
  after: number[] | null;
  /** 1 where critical reverse sampling re-masked the token; null for naive sampling. */
  remasked: number[] | null;
}

/** GET /runs/:id/samples/:index/critic: one sample's per-token critic scores, per band. */
export function criticView(stored: StoredCriticScores[]): {
  lf: BandCriticView | null;
  hf: BandCriticView | null;
} {
  const band = (name: 'lf' | 'hf'): BandCriticView | null => {
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
