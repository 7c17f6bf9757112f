import { type SessionOptions } from './onnx-runtime';

/** A tensor as it crosses the thread boundary (its buffer is transferred, not copied, where possible). */
export interface WireTensor {
  readonly type: 'float32' | 'int32' | 'int64';
  readonly data: Float32Array | Int32Array | BigInt64Array;
  readonly dims: readonly number[];
}

export type OrtRequest =
  | {
      readonly type: 'create';
      readonly id: number;
      readonly session: number;
      readonly graph: ArrayBuffer;
      readonly options: SessionOptions;
    }
  | {
      readonly type: 'run';
      readonly id: number;
      readonly session: number;
      readonly feeds: Readonly<Record<string, WireTensor>>;
      readonly fetches: readonly string[];
    }
  | { readonly type: 'release'; readonly id: number; readonly session: number }
  /** Finish what is in flight, release every session, then end the thread (it is never terminated mid-run). */
  | { readonly type: 'shutdown'; readonly id: number };

export type OrtResponse =
  | { readonly id: number; readonly ok: true; readonly outputs: Readonly<Record<string, WireTensor>> }
  | { readonly id: number; readonly ok: false; readonly error: string };
