export { dispatchBatches } from './dispatch.js';
export { BatchStream, streamBatches } from './stream.js';
export type { BatchGrouper, BatchStrategy, GroupedItems } from './strategies/strategy.js';
export type { BatchStrategySpec } from './strategies/resolve.js';
export { sizeStrategy, type SizeStrategyOptions } from './strategies/size.js';
export { weightStrategy, type WeightStrategyOptions } from './strategies/weight.js';
export { keyStrategy, type KeyStrategyOptions } from './strategies/key.js';
export { BatchAbortedError, BatchHaltError, BatchLengthError, BatchTimeoutError } from './errors.js';
export type { BatchSource } from './source.js';
export type {
  BatchErrorPolicy,
  BatchExecutor,
  BatchExecutorContext,
  BatchFailure,
  BatchFinalPolicy,
  BatchItemResult,
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
