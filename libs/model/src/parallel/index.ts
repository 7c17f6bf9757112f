export * from './collective';
export {
  ReplicaPool,
  type ReplicaPoolOptions,
  type ReplicaStepResult,
  type TrainParallelism,
  applyHostGradients,
  bufferVariables,
  replicaCount,
  splitRows,
} from './pool';
export { type ReplicaShard, type ReplicaTask } from './protocol';
