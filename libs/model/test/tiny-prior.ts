import { PRIOR_PAPER, type PriorNetworkConfig } from '@maskgen/model';

/** The paper's prior network cut to one narrow layer: for tests of sampling and training mechanics, not quality. */
export const TINY_PRIOR_NETWORK: PriorNetworkConfig = {
  ...PRIOR_PAPER.network,
  width: 32,
  layers: 1,
  heads: 2,
  headDim: 16,
};
