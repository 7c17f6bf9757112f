export * from './engine';
export * from './onnx-runtime';
export * from './ort-prior';
export * from './onnx/graph';
export * from './onnx/prior-graph';
export * from './ort-thread';
export * from './ort-fcn';
export * from './onnx/fcn-graph';
