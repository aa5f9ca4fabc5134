import type { PromptVia, SheetFunction } from '../actors/instruments/instrument.js';
import type { BackoffPolicy, DependencyFailurePolicy } from '../machines/types.js';

/** A template compiled at load time: literal text and `{{name}}` references, names already checked. */
export interface Template {
  readonly source: string;
  readonly parts: ReadonlyArray<string | { readonly name: string }>;
}

export interface RateLimitSpec {
  patterns: RegExp[];
  streams: Array<'stdout' | 'stderr'>;
  retryAfter?: RegExp;
  defaultWaitMs: number;
  /** Floor of every wait (parsed, default or reported by a function). @default RATE_LIMIT_DEFAULTS.minWaitMs */
  minWaitMs?: number;
  maxWaitMs: number;
  /** What a limit holds back: the whole instrument, or only the limited attempt's model. */
  scope: 'instrument' | 'model';
  /** The sheet's rate-limited run that reaches this count fails it (reason `rate_limited`). @default RATE_LIMIT_DEFAULTS.maxLimitedRuns */
  maxLimitedRuns?: number;
}

export interface CircuitBreakerSpec {
  failures: number;
  cooldownMs: number;
}

/** An instrument's dispatch buffer: starts queue in `size` slots, `workers` start them. */
export interface BufferSpec {
  /** Starts that may wait for a worker; 0 starts every musician directly, with no buffer. */
  size: number;
  /** Starts in progress at once. */
  workers: number;
}

interface InstrumentCommon {
  name: string;
  /** Cap on attempts of this instrument in flight at once, across every job of the conductor. */
  concurrency?: number;
  /** Per-model caps; `{{model}}` names one of these when the map is not empty. */
  models: Record<string, { concurrency?: number }>;
  timeoutMs?: number;
  rateLimit?: RateLimitSpec;
  costPattern?: RegExp;
  circuitBreaker?: CircuitBreakerSpec;
  fallback: string[];
  /** The identity its rate limits, breaker and shared cap are shared under (`shared_as`); absent: its name. */
  sharedAs?: string;
  /** Cap on attempts of its shared identity running at once across every conductor of the coordination backend. */
  sharedConcurrency?: number;
  buffer?: BufferSpec;
  /** The platform defaults that define it (their `source`); absent for an instrument of the score. */
  definedIn?: string;
}

export interface CommandInstrumentSpec extends InstrumentCommon {
  kind: 'command';
  /** argv prefix; the sheet's rendered args are appended. */
  command: string[];
  env: Record<string, string>;
  /** How a sheet's prompt reaches the program. */
  promptVia: PromptVia;
  output?: StructuredOutputSpec;
}

/** `output:`: fields of the JSON result at the end of stdout, each a dotted path as written. */
export interface StructuredOutputSpec {
  format: 'json' | 'jsonl';
  cost?: string;
  failed?: string;
  message?: string;
  retryAfter?: string;
}

export interface FunctionInstrumentSpec extends InstrumentCommon {
  kind: 'function';
  /** Absolute path of the module, when the function comes from a file. */
  module?: string;
  export: string;
  /** The function itself, when given programmatically (or once the module is loaded). */
  fn?: SheetFunction;
}

export type InstrumentSpec = CommandInstrumentSpec | FunctionInstrumentSpec;

export type ValidationSpec =
  | { kind: 'file_exists'; path: Template }
  | { kind: 'file_matches'; path: Template; pattern: string }
  | { kind: 'command_succeeds'; argv: Template[] };

/** A sheet's cross-sheet context: what `{{context}}` holds, resolved at load time. */
export interface ContextSpec {
  /** The direct dependencies whose output is included, as written in `deps` (all of them for `true`). */
  deps: DependencyRef[];
  /** Globs under the workspace. */
  files: string[];
  /** Most bytes of one item (and of one `{{deps.ID.output}}`). */
  maxBytes: number;
  /** Most bytes of all the items together. */
  totalMaxBytes: number;
}

/** A dependency of a stage: every member of `stage`, or only its member number `member` (1-based). */
export interface DependencyRef {
  stage: number;
  member?: number;
}

/**
 * One entry of the score's `sheets:` list, with every setting resolved (sheet > defaults).
 * A stage expands to one sheet, or to `fanOut` sheets named `<id>.1` … `<id>.<n>`.
 */
export interface StageSpec {
  id: string;
  index: number;
  /** Set when the entry has `fan_out`; its members are `<id>.1` … `<id>.<fanOut>`. */
  fanOut?: number;
  instrument: string;
  model?: string;
  args: Template[];
  /** The sheet's prompt (its own or the defaults'), rendered at every dispatch like `args`. */
  prompt?: Template;
  validations: ValidationSpec[];
  /** Cross-sheet context; absent when the sheet has none. */
  context?: ContextSpec;
  retries: number;
  backoff: BackoffPolicy;
  timeoutMs?: number;
  onDependencyFailure: DependencyFailurePolicy;
  escalate: boolean;
  heal: boolean;
  completionAttempts: number;
  budgetUsd?: number;
  vars: Record<string, string>;
  dependsOn: DependencyRef[];
  /**
   * Where each resolved setting came from, by its name in the score file (`retries`,
   * `backoff.max`, `vars.NAME`). Set by the loader; read by `explainSheet`.
   */
  sources?: Record<string, SettingSource>;
}

/** A validated, expanded score: what the conductor runs. */
export interface Score {
  version: 1;
  name: string;
  /** Absolute path. */
  workspace: string;
  concurrency: number;
  budgetUsd?: number;
  pacingMs: number;
  sequential: boolean;
  instruments: Record<string, InstrumentSpec>;
  stages: StageSpec[];
  /** Total number of sheets after fan-out expansion. */
  sheetCount: number;
  /** The file it was loaded from, if any. */
  sourcePath?: string;
}

/** Where a resolved sheet setting came from. */
export type SettingSource =
  | { kind: 'sheet' }
  | { kind: 'score defaults' }
  | { kind: 'platform defaults'; file: string }
  /** The instrument's own setting (its `timeout`); `file` when a platform defaults file defines the instrument. */
  | { kind: 'instrument'; instrument: string; file?: string }
  /** Nothing named an instrument and there is one to pick: the score's only one, or (`file`) the platform's. */
  | { kind: 'only instrument'; file?: string }
  | { kind: 'built-in' };
