/**
 * Synchronous collectives of the replica threads of one data-parallel training, over one SharedArrayBuffer.
 * Every replica calls the same collectives in the same order (they run the same graph), so a call is a rendezvous:
 * each writes its local vector into its slot, waits at a barrier, and sums the slots in replica order (float64),
 * which gives every replica bit-identical results. They block with Atomics.wait, which worker threads may do; the
 * coordinating thread never calls them.
 *
 * Calls alternate between two banks of slots, so one barrier per call is enough: a replica can write call k+2's
 * vector into the bank of call k only after every replica arrived at call k+1, i.e. finished reading call k.
 */

/** Int32 header: [arrived, generation, aborted, participants]. */
const HEADER_INTS = 4;
const ARRIVED = 0;
const GENERATION = 1;
const ABORTED = 2;
const PARTICIPANTS = 3;
/** How long one wait lasts before the abort flag is looked at again. */
const WAIT_SLICE_MS = 200;

export class CollectiveAbortedError extends Error {
  constructor() {
    super('data-parallel step aborted: another replica failed or the pool closed');
    this.name = 'CollectiveAbortedError';
  }
}

/** Bytes a collective over `replicas` replicas with vectors of up to `slotLength` values needs. */
export function collectiveBytes(replicas: number, slotLength: number): number {
  return HEADER_INTS * 4 + 2 * replicas * slotLength * 8;
}

export class Collective {
  private readonly header: Int32Array;
  private readonly slots: Float64Array;
  /** Collectives called in this step; its parity picks the bank. */
  private calls = 0;

  constructor(
    buffer: SharedArrayBuffer,
    readonly replicas: number,
    readonly rank: number,
    readonly slotLength: number,
  ) {
    if (buffer.byteLength < collectiveBytes(replicas, slotLength))
      throw new RangeError('collective buffer too small');
    this.header = new Int32Array(buffer, 0, HEADER_INTS);
    this.slots = new Float64Array(buffer, HEADER_INTS * 4, 2 * replicas * slotLength);
  }

  /** Marks the collective failed and wakes every waiter (they throw CollectiveAbortedError). Any thread may call it. */
  static abort(buffer: SharedArrayBuffer): void {
    const header = new Int32Array(buffer, 0, HEADER_INTS);
    Atomics.store(header, ABORTED, 1);
    Atomics.add(header, GENERATION, 1);
    Atomics.notify(header, GENERATION);
  }

  /**
   * How many replicas (ranks 0..n−1) take part in the next step; set by the coordinator while no step runs (a short
   * last batch of an epoch may have fewer rows than there are replicas).
   */
  static setParticipants(buffer: SharedArrayBuffer, n: number): void {
    Atomics.store(new Int32Array(buffer, 0, HEADER_INTS), PARTICIPANTS, n);
  }

  /** Called by every participant before its step's first collective (replicas sit out short batches). */
  startStep(): void {
    this.calls = 0;
  }

  /** Element-wise sum of every replica's `local` (all replicas pass the same length). */
  allReduce(local: ArrayLike<number>): Float64Array {
    const n = local.length;
    if (n > this.slotLength) {
      throw new RangeError(`all-reduce of ${n} values exceeds the slot of ${this.slotLength}`);
    }
    const bank = (this.calls++ % 2) * this.replicas * this.slotLength;
    const slot = (r: number) =>
      this.slots.subarray(bank + r * this.slotLength, bank + r * this.slotLength + n);
    const own = slot(this.rank);
    for (let i = 0; i < n; i++) own[i] = local[i];
    this.barrier();
    const out = new Float64Array(n);
    const participants = Atomics.load(this.header, PARTICIPANTS);
    for (let r = 0; r < participants; r++) {
      const values = slot(r);
      for (let i = 0; i < n; i++) out[i] += values[i];
    }
    return out;
  }

  /** Waits until every replica has arrived (generation barrier). */
  barrier(): void {
    const header = this.header;
    if (Atomics.load(header, ABORTED) !== 0) throw new CollectiveAbortedError();
    const generation = Atomics.load(header, GENERATION);
    if (Atomics.add(header, ARRIVED, 1) === Atomics.load(header, PARTICIPANTS) - 1) {
      Atomics.store(header, ARRIVED, 0);
      Atomics.add(header, GENERATION, 1);
      Atomics.notify(header, GENERATION);
      return;
    }
    while (Atomics.load(header, GENERATION) === generation) {
      Atomics.wait(header, GENERATION, generation, WAIT_SLICE_MS);
      if (Atomics.load(header, ABORTED) !== 0) throw new CollectiveAbortedError();
    }
    if (Atomics.load(header, ABORTED) !== 0) throw new CollectiveAbortedError();
  }
}
