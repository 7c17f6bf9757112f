import { createHash } from 'node:crypto';
import {
  type BranchInput,
  type BranchPrior,
  type BranchRunner,
  type PriorRunner,
  type TimeVqPrior,
} from '@maskgen/model';
import { buildPriorGraph } from './onnx/prior-graph';
import { type SessionOptions, int64ToInt32 } from './onnx-runtime';
import { type OrtThread } from './ort-thread';
import { type WireTensor } from './ort-thread-protocol';

/** Native memory is not bounded by wasm's 4 GiB heap; 2 GiB per pass still leaves room for a worker's other jobs. */
const ORT_MEMORY_BUDGET = 2 * 2 ** 30;
/** Sampling batch: throughput on ORT's CPU kernels is flat from here on (bench `sampling`). */
const ORT_MAX_BATCH = 256;

export interface OrtPriorRunner extends PriorRunner {
  /** SHA-256 of the two serialized graphs: the same weights always export the same bytes. */
  readonly graphHash: string;
  dispose(): Promise<void>;
}

function branchRunner(thread: OrtThread, session: number, prior: BranchPrior): BranchRunner {
  const n = prior.shape.tokens;
  const feeds = (input: BranchInput): Record<string, WireTensor> => {
    const { batch: b, tokens, classes, lfTokens } = input;
    if (tokens.length !== b * n) throw new RangeError(`${tokens.length} ids for [${b}, ${n}]`);
    if (classes.length !== b) throw new RangeError(`${classes.length} classes for a batch of ${b}`);
    // Copies: the buffers are transferred to the inference thread, and the caller keeps its arrays.
    const out: Record<string, WireTensor> = {
      tokens: { type: 'int32', data: tokens.slice(), dims: [b, n] },
      classes: { type: 'int32', data: classes.slice(), dims: [b] },
    };
    if (prior.shape.branch === 'hf') {
      if (lfTokens === undefined) throw new Error('the HF prior needs the LF tokens');
      out.lf_tokens = { type: 'int32', data: lfTokens.slice(), dims: [b, lfTokens.length / b] };
    }
    return out;
  };
  return {
    shape: prior.shape,
    noClass: prior.noClass,
    async logitsOf(input) {
      const result = await thread.run(session, feeds(input), ['logits']);
      return result.logits.data as Float32Array;
    },
    async argmaxOf(input) {
      const result = await thread.run(session, feeds(input), ['argmax']);
      return int64ToInt32(result.argmax.data as BigInt64Array);
    },
  };
}

/** Exports both branch priors to ONNX and opens one InferenceSession per branch on the inference thread. */
export async function createOrtPriorRunner(
  thread: OrtThread,
  prior: TimeVqPrior,
  options: SessionOptions,
): Promise<OrtPriorRunner> {
  const lfGraph = buildPriorGraph(prior.lf);
  const hfGraph = buildPriorGraph(prior.hf);
  const graphHash = createHash('sha256').update(lfGraph).update(hfGraph).digest('hex');
  const lf = await thread.createSession(lfGraph, options);
  let hf: number;
  try {
    hf = await thread.createSession(hfGraph, options);
  } catch (error) {
    await thread.release(lf);
    throw error;
  }
  return {
    engine: 'ort',
    shapes: prior.shapes,
    network: prior.network,
    lf: branchRunner(thread, lf, prior.lf),
    hf: branchRunner(thread, hf, prior.hf),
    memoryBudgetBytes: ORT_MEMORY_BUDGET,
    maxBatch: ORT_MAX_BATCH,
    graphHash,
    dispose: async () => {
      await Promise.all([thread.release(lf), thread.release(hf)]);
    },
  };
}
