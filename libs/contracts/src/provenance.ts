/**
 * What produced a model run's samples: one wire shape from the worker (pipeline result) through the database
 * (runs.provenance) to the API, the CLI and the dashboard. No imports, so libs/client can re-export it by path.
 */

/** One inference engine that sampled shards of a run (a run spread over workers may list several). */
export interface EngineProvenance {
  readonly engine: 'ort' | 'tfjs';
  readonly threads: number;
  readonly device: 'cpu' | 'cuda';
  /** onnxruntime-node's version (ort), or null. */
  readonly version: string | null;
  /** SHA-256 of the exported ONNX graphs (ort), null on tfjs. */
  readonly graphHash: string | null;
}

export interface RunProvenance {
  readonly engines: readonly EngineProvenance[];
  /** SHA-256 over the model's checkpoints. */
  readonly modelHash: string;
  readonly codeVersion: string;
}
