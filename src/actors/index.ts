export type {
  AttemptHooks,
  AttemptOutcome,
  AttemptRequest,
  ContextItem,
  DependencyOutput,
  Instrument,
  SheetFunction,
  SheetFunctionContext,
  SheetFunctionResult,
} from './instruments/instrument.js';
export {
  createCommandInstrument,
  type CommandInstrumentOptions,
  type SpawnerMode,
} from './instruments/command.js';
export { createFunctionInstrument, type FunctionInstrumentOptions } from './instruments/function.js';
export type { OutputFindings, OutputScanRules, OutputStream, PatternSource, StreamFindings } from './process/output-scan.js';
