/** One shard of a generation run: a contiguous range of sample indices with its own seed. */
export interface PlannedShard {
  shardIndex: number;
  sampleOffset: number;
  sampleCount: number;
  seed: number;
}

/** splitmix32-style mixing: shard seeds are independent streams, yet fixed by (run seed, shard index). */
export function deriveShardSeed(runSeed: number, shardIndex: number): number {
  let z = (runSeed + Math.imul(shardIndex + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

export function planShards(numSamples: number, shardSize: number, runSeed: number): PlannedShard[] {
  const shards: PlannedShard[] = [];
  for (let offset = 0, index = 0; offset < numSamples; offset += shardSize, index++) {
    shards.push({
      shardIndex: index,
      sampleOffset: offset,
      sampleCount: Math.min(shardSize, numSamples - offset),
      seed: deriveShardSeed(runSeed, index),
    });
  }
  return shards;
}

/** BullMQ's lowest priority value; larger numbers would be rejected. */
const MAX_BULLMQ_PRIORITY = 2_097_152;

/**
 * Fair share between runs (and so between teams): a shard's BullMQ priority
 * grows with its index in its run, so the k-th shard of every run comes
 * before the (k+1)-th shard of any run. A small run submitted behind a
 * million-sample run starts after at most one shard per competing run, not
 * after all of them. The run's own priority (1 lowest .. 10 highest) breaks
 * ties within a round.
 */
export function shardPriority(shardIndex: number, runPriority: number): number {
  return Math.min(MAX_BULLMQ_PRIORITY, 1 + shardIndex * 10 + (10 - runPriority));
}
