import { type FcnClassifier, type SeriesFeaturizer } from '@maskgen/metrics';
import { buildFcnGraph } from './onnx/fcn-graph';
import { type SessionOptions } from './onnx-runtime';
import { type OrtThread } from './ort-thread';

/** Series per ORT call: the FCN is small, so larger calls only add latency between yields. */
const ROWS_PER_CALL = 512;

export interface PreparedFeaturizer extends SeriesFeaturizer {
  dispose(): Promise<void>;
}

/** The evaluation FCN exported to ONNX (BatchNorm folded), one session on the inference thread. */
export async function createOrtFeaturizer(
  thread: OrtThread,
  fcn: FcnClassifier,
  options: SessionOptions,
): Promise<PreparedFeaturizer> {
  const session = await thread.createSession(buildFcnGraph(fcn), options);
  const { length, classes } = fcn.spec;
  const dim = fcn.featureDim;
  return {
    spec: fcn.spec,
    featureDim: dim,
    async inferAsync(values, rows) {
      if (values.length !== rows * length)
        throw new RangeError(`${values.length} values for [${rows}, ${length}]`);
      const features = new Float32Array(rows * dim);
      const probabilities = new Float32Array(rows * classes);
      for (let start = 0; start < rows; start += ROWS_PER_CALL) {
        const count = Math.min(ROWS_PER_CALL, rows - start);
        const x = values.slice(start * length, (start + count) * length);
        const out = await thread.run(session, { x: { type: 'float32', data: x, dims: [count, length] } }, [
          'features',
          'probabilities',
        ]);
        features.set(out.features.data as Float32Array, start * dim);
        probabilities.set(out.probabilities.data as Float32Array, start * classes);
      }
      return { features, probabilities };
    },
    dispose: () => thread.release(session),
  };
}
