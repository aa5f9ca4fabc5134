export { dispatchBatches } from './dispatch.js';
export { BatchStream, streamBatches } from './stream.js';
export {
  resolveStrategy,
  sizeStrategy,
  weightStrategy,
  type BatchGrouper,
  type BatchStrategy,
  type BatchStrategySpec,
  type GroupedItems,
  type SizeStrategyOptions,
  type WeightStrategyOptions,
} from './strategies/strategy.js';
export { keyStrategy, type KeyStrategyOptions } from './strategies/key.js';
export { BatchAbortedError, BatchHaltError, BatchLengthError, BatchTimeoutError } from './errors.js';
export type { BatchSource } from './source.js';
export type {
  BatchErrorPolicy,
  BatchExecutor,
  BatchExecutorContext,
  BatchFailure,
  BatchFinalPolicy,
  BatchOptions,
  BatchOrdering,
  BatchOutcome,
  BatchRetryPolicy,
  BatchRouteHandler,
  BatchRunResult,
  RoutedBatch,
  ScoreInstrumentExecutor,
  SkippedBatch,
  SucceededBatch,
  UnfinishedItems,
} from './types.js';
