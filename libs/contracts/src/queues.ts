/** Queues shared by the API (producer) and the workers (consumers). */
export const QueueName = {
  Train: 'train',
  Generate: 'generate',
  Evaluate: 'evaluate',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];
export const QUEUE_NAMES = Object.values(QueueName) as [QueueName, ...QueueName[]];
