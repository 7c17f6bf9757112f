import { type TensorBackendKind } from '@maskgen/tensor';
import { type PriorBatch } from '../prior/train';

/** Names and sizes of the variables in the shared state buffer: trainable parameters first, then buffers. */
export interface StateLayout {
  readonly params: ReadonlyArray<readonly [string, number]>;
  readonly buffers: ReadonlyArray<readonly [string, number]>;
}

/** What a replica trains. The model arrives as checkpoint bytes; its weights come from the state buffer each step. */
export type ReplicaTask =
  | {
      readonly kind: 'stage1';
      readonly model: Uint8Array;
      /** Training series, row-major [N, C, L]. */
      readonly values: Float32Array;
    }
  | { readonly kind: 'prior'; readonly model: Uint8Array };

export interface ReplicaInit {
  readonly type: 'init';
  readonly rank: number;
  readonly replicas: number;
  readonly backend: TensorBackendKind;
  readonly collective: SharedArrayBuffer;
  readonly slotLength: number;
  /** float32: every variable (layout order); the coordinator writes it before a step, rank 0 writes the buffers back. */
  readonly state: SharedArrayBuffer;
  /** float32 [replicas, parameter values]: each replica's gradient. */
  readonly grads: SharedArrayBuffer;
  /** float64 [replicas, reportLength]: each replica's metrics, already weighted so that they sum. */
  readonly report: SharedArrayBuffer;
  readonly reportLength: number;
  readonly layout: StateLayout;
  readonly task: ReplicaTask;
}

/** One replica's part of a step; `weight` = its rows / the batch's rows (the losses are batch means). */
export type ReplicaShard =
  | { readonly kind: 'stage1'; readonly indices: readonly number[]; readonly weight: number }
  | {
      readonly kind: 'prior';
      readonly batch: PriorBatch;
      readonly weight: number;
      /** Rows per forward/backward pass; the shard's gradient is accumulated over them. */
      readonly microBatch: number;
    };

export type ReplicaRequest =
  ReplicaInit | { readonly type: 'step'; readonly id: number; readonly shard: ReplicaShard };

export type ReplicaResponse =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly id: number }
  | { readonly type: 'error'; readonly id: number | null; readonly message: string };
