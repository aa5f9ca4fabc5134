export type {
  AttemptHooks,
  AttemptOutcome,
  AttemptRequest,
  AttemptStatus,
  DependencyOutput,
  Instrument,
  SheetFunction,
  SheetFunctionContext,
  SheetFunctionResult,
} from './instrument.js';
export { abortedMessage } from './abort-reason.js';
export {
  createCommandInstrument,
  INHERITED_ENV_KEYS,
  type CommandInstrumentOptions,
  type SpawnerMode,
} from './command-instrument.js';
export { createFunctionInstrument, type FunctionInstrumentOptions } from './function-instrument.js';
export { lastNonEmptyLine, OUTPUT_TAIL_BYTES, readTail } from './output-tail.js';
