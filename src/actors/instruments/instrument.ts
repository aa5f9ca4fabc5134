import type { AbortSource } from '../attempt-abort.js';
import type { OutputFindings, OutputScanRules } from '../process/output-scan.js';
import type { ValidationReport } from '../validations.js';
import type { SheetMode } from '../../machines/types.js';

/** Everything an instrument needs to run one attempt of one sheet. */
export interface AttemptRequest {
  jobId: string;
  sheetId: string;
  /**
   * 1-based, within its mode: normal attempts on the current instrument, or completion
   * attempts; it repeats across modes, fallbacks and rate-limited runs.
   */
  attempt: number;
  /**
   * 1-based number of this run of the sheet: every dispatch counts (normal, completion,
   * healing, retries, fallbacks, rate-limited runs), so it never repeats for one sheet,
   * across resumes included. It names the run's output files.
   */
  run: number;
  mode: SheetMode;
  fan: { index: number; count: number };
  /** Absolute. */
  workspace: string;
  model?: string;
  vars: Record<string, string>;
  deps: Record<string, DependencyOutput>;
  /** Rendered template arguments; each is one argv element. */
  args: string[];
  /**
   * The sheet's rendered prompt, when it has one. A command instrument gives it to the
   * program as its `prompt_via` says and keeps it in `${outputPrefix}.prompt`; a function
   * gets it as `ctx.prompt`.
   */
  prompt?: string;
  /** The items of the sheet's cross-sheet context, in order; absent when it has none. */
  context?: ContextItem[];
  /**
   * Absolute path prefix for this attempt's captured output: the streams go to
   * `${outputPrefix}.stdout` and `${outputPrefix}.stderr`. The instrument creates the
   * parent folder.
   */
  outputPrefix: string;
  /**
   * In completion mode, the descriptions of the validations that failed after the previous
   * attempt (e.g. `file_matches out/1.txt /^OK/`). Absent or empty: nothing failed.
   */
  failedValidations?: string[];
  /**
   * What the instrument's score declares to look for in the attempt's output (`cost_pattern`,
   * `rate_limit`). A command instrument scans its whole output by these rules and reports what
   * it found in `scanned`; absent: nothing to look for.
   */
  outputScan?: OutputScanRules;
}

/** `stdin`: the program's standard input; `file`: a file whose path is `{{prompt_file}}`; `arg`: one more argv element. */
export type PromptVia = 'stdin' | 'file' | 'arg';

type AttemptStatus = 'success' | 'failure';

export interface AttemptOutcome {
  status: AttemptStatus;
  /** A one-line human explanation when the attempt failed. */
  error?: string;
  /** The program could not be started at all (missing binary, not executable). */
  unavailable?: boolean;
  /**
   * The work never started (`onStarted` was not called). `permanent`: trying again cannot
   * help (the program does not exist or is not executable; `unavailable` is set too).
   * Otherwise it may start on another try (out of processes or descriptors): an instrument
   * with a dispatch buffer tries again after a short backoff without using one of the
   * sheet's attempts; without a buffer it is an ordinary failed attempt. A function
   * instrument never reports one: calling the function is its start, so a throw is the
   * attempt's own failure.
   */
  startError?: { permanent: boolean };
  /** The musician ended without the instrument reporting an outcome. */
  stale?: boolean;
  exitCode?: number | null;
  signal?: string | null;
  stdoutFile?: string;
  stderrFile?: string;
  /** The file holding the prompt the program was given, beside the output files. */
  promptFile?: string;
  /** The last bytes of each stream (bounded), for messages; the whole output stays in the files. */
  stdoutTail?: string;
  stderrTail?: string;
  /**
   * What the whole output said by the request's `outputScan` rules. When absent, the judge
   * scans the tails instead (an instrument that reports only those).
   */
  scanned?: OutputFindings;
  /** Value returned by a function instrument. */
  output?: unknown;
  costUsd?: number;
  /** Seconds to wait, when the instrument itself reports a rate limit. */
  rateLimitedS?: number;
  /** The sheet's validations, run after a successful attempt. */
  validation?: ValidationReport;
}

export interface AttemptHooks {
  /**
   * Called once the work has actually started (the process spawned, the function called),
   * with the process id for a subprocess, so that a restarted conductor can stop orphans.
   */
  onStarted(info?: { pid?: number }): void;
}

/**
 * A backend that runs attempts. `run` never rejects: every problem is an outcome.
 * When `signal` aborts, the attempt must stop promptly (a command kills its process group)
 * and still resolve.
 */
export interface Instrument {
  readonly name: string;
  readonly kind: 'command' | 'function';
  run(request: AttemptRequest, signal: AbortSignal, hooks: AttemptHooks): Promise<AttemptOutcome>;
}

/**
 * Where an instrument built into baton takes the conductor's {@link AbortSource} instead of
 * an `AbortSignal`, so that no signal is built for an attempt nobody aborts or asks about.
 */
export const RUN_WITH_ABORT_SOURCE: unique symbol = Symbol('baton.runWithAbortSource');

export interface AbortSourceInstrument extends Instrument {
  [RUN_WITH_ABORT_SOURCE](request: AttemptRequest, abort: AbortSource, hooks: AttemptHooks): Promise<AttemptOutcome>;
}

export interface DependencyOutput {
  /** The captured stdout file of the dependency's successful attempt (command instruments). */
  output_file?: string;
  /** The `output` returned by a function instrument. */
  output?: unknown;
}

/** One item of a sheet's cross-sheet context: a dependency's output or a file. */
export interface ContextItem {
  /** The dependency's sheet id, or the file's path relative to the workspace (a glob that matched nothing). */
  source: string;
  /** Its content, cut to the context's sizes (a cut never splits a character); empty when there is none. */
  text: string;
  /** Some of its content was cut. */
  truncated: boolean;
  /** What else there is to know: `skipped`, `no output`, `missing`, `no file matches`, `unreadable: …`, `not valid UTF-8 …`. */
  note?: string;
}

export interface SheetFunctionContext {
  sheet: {
    id: string;
    attempt: number;
    /** Unique and increasing for the sheet, unlike `attempt`: see `AttemptRequest.run`. */
    run: number;
    mode: SheetMode;
    fan: { index: number; count: number };
    /** Descriptions of the validations that failed after the previous attempt; empty in normal mode. */
    failedValidations: string[];
  };
  workspace: string;
  model?: string;
  vars: Record<string, string>;
  deps: Record<string, DependencyOutput>;
  /** The sheet's rendered prompt; undefined when it has none. */
  prompt: string | undefined;
  signal: AbortSignal;
  /** The items of the sheet's cross-sheet context; empty when it has none. */
  context: ContextItem[];
}

export interface SheetFunctionResult {
  ok: boolean;
  output?: unknown;
  cost_usd?: number;
  /** Set when the attempt hit a rate limit: seconds to wait. */
  rate_limited_s?: number;
  error?: string;
}

export type SheetFunction = (
  ctx: SheetFunctionContext,
) => Promise<SheetFunctionResult> | SheetFunctionResult;
