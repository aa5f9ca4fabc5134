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
} from './instruments/instrument.js';
export { abortedMessage } from './abort-reason.js';
export { INHERITED_ENV_KEYS } from './process/env.js';
export {
  createCommandInstrument,
  type CommandInstrumentOptions,
  type SpawnerMode,
} from './instruments/command.js';
export { createFunctionInstrument, type FunctionInstrumentOptions } from './instruments/function.js';
export { lastNonEmptyLine, OUTPUT_TAIL_BYTES, readTail } from './process/output-tail.js';
