/**
 * baton — an embeddable, inspectable dispatch runtime: a score is a DAG of sheets, each an
 * XState actor, dispatched by a conductor under caps, retries and policies.
 */

// Running jobs
export { Conductor } from './runtime/conductor.js';
export type { ConductorOptions, JobResult, RegisterOptions, RestoreOptions } from './runtime/conductor-options.js';
export type { CoordinationOptions } from './runtime/coordination/shared-policy.js';
export type { SharedCapRow, SharedCapState } from './runtime/gates/shared-cap-gate.js';
export type { JobStatus, SheetStatus } from './runtime/status.js';
export type { BatonEvent, BatonEventType, StateCounts } from './runtime/events.js';
export { ATTEMPT_OUTCOMES, BATON_EVENT_TYPES, type AttemptEndedOutcome } from './runtime/event-catalogue.js';
export { VirtualClock, realClock, longTimers, MAX_TIMER_MS, type Clock } from './runtime/clock.js';
export {
  BudgetSpentError,
  ConductorClosedError,
  InstrumentSetupError,
  NotInFermataError,
  UnknownDecisionError,
  UnknownJobError,
  UnknownSheetError,
  WorkspaceError,
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
  type MemoryStoreOptions,
  type SqliteStoreOptions,
  type AttemptRow,
  type CheckpointBatch,
  type CheckpointStore,
  type JobRow,
  type SheetRow,
} from './store/index.js';

// Metrics: a recorder interface, its Prometheus implementation, and the conductor hook-up
export {
  attachMetrics,
  NoopRecorder,
  PrometheusRecorder,
  type AttemptOutcomeLabel,
  type EndedAttempt,
  type GaugeSource,
  type MetricsAttachment,
  type MetricsRecorder,
  type PrometheusRecorderOptions,
} from './observe/metrics/index.js';

// Inspection: XState inspection events as a stream of JSON records, and the machines as data
export {
  inspectionStream,
  type InspectionStream,
  type InspectionStreamOptions,
} from './observe/inspection.js';
export { INSPECTION_TYPES, type InspectionRecord, type InspectionType, type JsonValue } from './observe/inspection-record.js';
export { machineJson, machineMermaid } from './observe/machine-diagrams.js';

// Run reports: a checkpoint's rows as one self-contained HTML page (`baton report`)
export {
  renderReport,
  reportData,
  type ReportContents,
  type ReportModel,
  type ReportOptions,
} from './observe/report/index.js';
export type { SheetEventRow } from './store/types.js';

// The dispatch decision
export { modelKey } from './machines/model-key.js';
export {
  planDispatch,
  type DispatchConfig,
  type DispatchPlan,
  type DispatchView,
  type JobView,
  type ReadyQueueView,
  type SheetRef,
  type SkipReason,
  type SkippedQueue,
} from './runtime/dispatch/plan-dispatch.js';
export type { GateBlock, GateReason } from './runtime/gates/gate.js';

// Dispatch buffers: a bounded queue in front of slow starts, per instrument (`buffer: { size, workers }`)
export {
  BufferClosedError,
  DEFAULT_START_RETRY,
  DispatchBuffer,
  type DispatchBufferOptions,
  type StartFailure,
  type StartFailureInfo,
  type StartRetryPolicy,
} from './runtime/attempts/buffer/dispatch-buffer.js';
export type { BufferRoom } from './runtime/dispatch/plan-dispatch.js';
export type { BufferSpec } from './score/types.js';

// Scores
export {
  ScoreError,
  defineScore,
  loadScore,
  parseDuration,
  parseScore,
  RATE_LIMIT_DEFAULTS,
  scoreSchema,
  type DefineScoreOptions,
  type ParseScoreOptions,
  type ScoreInput,
  type ScoreProblem,
  type Score,
  type StageSpec,
  type InstrumentSpec,
  type CommandInstrumentSpec,
  type FunctionInstrumentSpec,
  type ValidationSpec,
  type DependencyRef,
  type RateLimitSpec,
  type CircuitBreakerSpec,
} from './score/index.js';

// Platform defaults (sheet > score defaults > platform defaults > built-in) and where each setting came from
export {
  BUILT_IN_SETTINGS,
  SheetNotInScoreError,
  definePlatformDefaults,
  explainSheet,
  loadPlatformDefaults,
  parsePlatformDefaults,
  platformDefaultsSchema,
  type DefinePlatformDefaultsOptions,
  type ExplainedSetting,
  type LoadPlatformDefaultsOptions,
  type LoadScoreOptions,
  type ParsePlatformDefaultsOptions,
  type PlatformDefaults,
  type PlatformDefaultsInput,
  type SettingSource,
  type SheetExplanation,
} from './score/index.js';

// Instruments
export {
  createCommandInstrument,
  createFunctionInstrument,
  type AttemptHooks,
  type AttemptOutcome,
  type AttemptRequest,
  type CommandInstrumentOptions,
  type DependencyOutput,
  type SpawnerMode,
  type FunctionInstrumentOptions,
  type Instrument,
  type OutputFindings,
  type OutputScanRules,
  type OutputStream,
  type PatternSource,
  type SheetFunction,
  type SheetFunctionContext,
  type SheetFunctionResult,
  type StreamFindings,
  type ContextItem,
} from './actors/index.js';

// Batched fan-out: group items, run batches under maxInFlight, pull the source lazily
export {
  BatchAbortedError,
  BatchHaltError,
  BatchLengthError,
  BatchStream,
  BatchTimeoutError,
  dispatchBatches,
  keyStrategy,
  sizeStrategy,
  streamBatches,
  weightStrategy,
  type BatchErrorPolicy,
  type BatchExecutor,
  type BatchExecutorContext,
  type BatchFailure,
  type BatchFinalPolicy,
  type BatchItemResult,
  type BatchGrouper,
  type BatchOptions,
  type BatchOrdering,
  type BatchOutcome,
  type BatchRetryPolicy,
  type BatchRouteHandler,
  type BatchRunResult,
  type BatchSource,
  type BatchStrategy,
  type BatchStrategySpec,
  type GroupedItems,
  type KeyStrategyOptions,
  type RoutedBatch,
  type ScoreInstrumentExecutor,
  type SizeStrategyOptions,
  type SkippedBatch,
  type SucceededBatch,
  type UnfinishedItems,
  type WeightStrategyOptions,
} from './batches/index.js';
export {
  BATCH_STATES,
  batchMachine,
  type BatchContext,
  type BatchEvent,
  type BatchFailureReason,
  type BatchInput,
  type BatchState,
} from './machines/batch.js';

// Machines
export { sheetMachine, type SheetContext, type SheetInput } from './machines/sheet.js';
export type { SheetEvent } from './machines/sheet-events.js';
export { conductorMachine, type ConductorMachineEvent } from './machines/conductor.js';
export { BREAKER_STATES, breakerMachine, type BreakerState } from './machines/breaker.js';
export { backoffDelay } from './machines/backoff.js';
export {
  SHEET_STATES,
  TERMINAL_STATES,
  type BackoffPolicy,
  type DependencyFailurePolicy,
  type FailureReason,
  type FermataDecision,
  type JobOutcome,
  type JobRunState,
  type SheetMode,
  type SheetState,
} from './machines/types.js';

// Simulation: a score's job in virtual time with instruments described by a profile
export {
  defineProfile,
  formatSimulation,
  loadProfile,
  parseProfile,
  profileSchema,
  ProfileError,
  simulate,
  type CriticalStep,
  type Distribution,
  type InstrumentBehaviour,
  type Profile,
  type ProfileInput,
  type RunSummary,
  type SheetSummary,
  type SimulateOptions,
  type SimulationResult,
  type Spread,
} from './simulate/index.js';
