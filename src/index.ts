/**
 * baton — an embeddable, inspectable dispatch runtime: a score is a DAG of sheets, each an
 * XState actor, dispatched by a conductor under caps, retries and policies.
 */

// Running jobs
export { Conductor } from './runtime/conductor.js';
export type { ConductorOptions, JobResult, RegisterOptions, RestoreOptions } from './runtime/conductor-options.js';
export type { JobOutcome } from './runtime/job.js';
export type { JobStatus, SheetStatus } from './runtime/status.js';
export type { BatonEvent, BatonEventType, StateCounts } from './runtime/events.js';
export { VirtualClock, realClock, type Clock } from './runtime/clock.js';
export {
  ConductorClosedError,
  InstrumentSetupError,
  NotInFermataError,
  UnknownJobError,
  UnknownSheetError,
} from './runtime/errors.js';
export type { InstrumentOverrides } from './runtime/instruments.js';
export {
  CheckpointEmptyError,
  CheckpointNotEmptyError,
  IncompatibleCheckpointError,
} from './runtime/errors.js';
export {
  CheckpointError,
  CheckpointCorruptError,
  CheckpointLockedError,
  CheckpointNotFoundError,
  CheckpointTooNewError,
  ForeignCheckpointError,
  MemoryStore,
  SqliteStore,
  openCheckpoint,
  type AttemptRow,
  type CheckpointBatch,
  type CheckpointStore,
  type JobRow,
  type SheetRow,
} from './runtime/store/index.js';

// The dispatch decision
export {
  modelKey,
  planDispatch,
  type DispatchConfig,
  type DispatchPlan,
  type DispatchView,
  type JobRunState,
  type JobView,
  type ReadyQueueView,
  type SheetRef,
  type SkipReason,
  type SkippedQueue,
} from './runtime/plan-dispatch.js';

// Scores
export {
  ScoreError,
  defineScore,
  loadScore,
  parseDuration,
  parseScore,
  scoreSchema,
  type ScoreInput,
  type ScoreProblem,
  type Score,
  type StageSpec,
  type InstrumentSpec,
  type CommandInstrumentSpec,
  type FunctionInstrumentSpec,
  type ValidationSpec,
  type DependencyRef,
} from './runtime/score/index.js';

// Instruments
export {
  createCommandInstrument,
  createFunctionInstrument,
  type AttemptHooks,
  type AttemptOutcome,
  type AttemptRequest,
  type CommandInstrumentOptions,
  type FunctionInstrumentOptions,
  type Instrument,
  type SheetFunction,
  type SheetFunctionContext,
  type SheetFunctionResult,
} from './actors/index.js';

// Machines
export { sheetMachine, type SheetContext, type SheetInput } from './machines/sheet.js';
export type { SheetEvent } from './machines/sheet-events.js';
export { conductorMachine, type ConductorMachineEvent } from './machines/conductor.js';
export { backoffDelay } from './machines/backoff.js';
export {
  SHEET_STATES,
  TERMINAL_STATES,
  type BackoffPolicy,
  type DependencyFailurePolicy,
  type FailureReason,
  type FermataDecision,
  type SheetMode,
  type SheetState,
} from './machines/types.js';
