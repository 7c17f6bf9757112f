import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { bytesToFloat32, type SampleEntity } from '@maskgen/persistence';

export interface ExportRange {
  fromIndex: number;
  count: number;
  seriesLength: number;
}

/**
 * NumPy .npy v1.0 header for a float32 C-order array of shape (count, length).
 * The header is padded so the data starts on a 64-byte boundary, as numpy writes it.
 */
export function npyHeader(count: number, length: number): Buffer {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${count}, ${length}), }`;
  const unpadded = 10 + dict.length + 1;
  const padding = (64 - (unpadded % 64)) % 64;
  const header = `${dict}${' '.repeat(padding)}\n`;
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1')]);
}

export function csvHeader(length: number): string {
  const columns = ['sample_index', 'class_index'];
  for (let t = 0; t < length; t++) columns.push(`t${t}`);
  return `${columns.join(',')}\n`;
}

export function csvRow(sample: SampleEntity): string {
  const values = Array.from(bytesToFloat32(sample.values), (value) => String(value));
  return `${sample.sampleIndex},${sample.classIndex ?? ''},${values.join(',')}\n`;
}

/** Writes with backpressure; returns false once the client went away, so the export can stop reading. */
export async function writeChunk(out: Writable, chunk: string | Buffer): Promise<boolean> {
  if (out.destroyed) return false;
  if (!out.write(chunk)) {
    await Promise.race([once(out, 'drain'), once(out, 'close')]);
  }
  return !out.destroyed;
}
