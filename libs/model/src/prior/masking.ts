import { type SeededRng } from '@maskgen/tensor';
import { type MaskRule } from './config';

/** Cosine mask schedule γ(r) = cos(π r / 2) (ess.md §1). */
export function gamma(r: number): number {
  return Math.cos((Math.PI * r) / 2);
}

/**
 * m(j) = floor(N·γ(j/T)): positions still masked after forward step j−1, in float64 JS numbers (never float32,
 * where e.g. 45·γ(1) would not floor to 0 reliably). For N = 45, T = 10, j = 1..10: 44 42 40 36 31 26 20 13 7 0.
 */
export function maskedCount(tokens: number, steps: number, j: number): number {
  if (!Number.isInteger(j) || j < 0 || j > steps) throw new RangeError(`step ${j} is outside 0..${steps}`);
  return Math.floor(tokens * gamma(j / steps));
}

/**
 * Training mask for one batch (ess.md §4.2): one t ~ U(0,1) per batch, c = floor(γ(t)·N); rule 'keep' keeps c
 * random positions per sample visible (released code), rule 'mask' masks c positions (original MaskGIT).
 * Returns 1 where masked, row-major [B, N].
 */
export function trainingMask(batch: number, tokens: number, rule: MaskRule, rng: SeededRng): Uint8Array {
  const count = Math.floor(gamma(rng.next()) * tokens);
  const masked = rule === 'keep' ? tokens - count : count;
  const out = new Uint8Array(batch * tokens);
  const positions = Array.from({ length: tokens }, (_, i) => i);
  for (let b = 0; b < batch; b++) {
    const order = rng.shuffle(positions);
    for (let i = 0; i < masked; i++) out[b * tokens + order[i]] = 1;
  }
  return out;
}

/** tokens with masked positions replaced by the mask id: [B·N] → new [B·N]. */
export function applyMask(tokens: Int32Array, mask: Uint8Array, maskId: number): Int32Array {
  return tokens.map((id, i) => (mask[i] === 1 ? maskId : id));
}
