import type { ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { abortedMessage } from '../abort-reason.js';
import type { AttemptHooks, AttemptOutcome, AttemptRequest, Instrument, PromptVia } from './instrument.js';
import { lastNonEmptyLine } from '../process/output-tail.js';
import {
  closeQuietly,
  endOfAttempt,
  prepareOutputs,
  spawnInGroup,
  type EndedOutput,
  type OutputHandles,
  type PromptInput,
} from '../spawner/attempt-process.js';
import type { StartSpec } from '../spawner/client.js';
import { sharedSpawnerPool } from '../spawner/pool.js';
import { errorInfo, type ErrorInfo } from '../spawner/protocol.js';
import type { RemoteChild } from '../spawner/remote-child.js';
import { cannotStartMessage, minimalEnv } from '../process/env.js';
import { superviseProcess, type ProcessEnd, type SuperviseOptions } from '../process/supervise.js';
import { errorMessage } from '../../util/error-message.js';
import { argumentTooLong } from './prompt-arg.js';

export interface CommandInstrumentOptions {
  /** The instrument's name in the score. */
  name: string;
  /**
   * The argv prefix, started without a shell; each attempt's rendered `args` are appended.
   * @example ['bash', '-c']
   */
  command: string[];
  /** Variables added to the minimal inherited environment (`INHERITED_ENV_KEYS` of process/env.ts). */
  env?: Record<string, string>;
  /**
   * After an abort, how long the process group has between SIGTERM and SIGKILL.
   * @default 2000
   */
  killGraceMs?: number;
  /**
   * Where attempts are started. `'helper'`: a small long-lived helper process (a pool of
   * them) prepares the output files and spawns, so that fork() of baton's own large process
   * stays off its main thread; `'inline'`: baton spawns from its own process. Outcomes are
   * the same either way; when no helper can be forked, an attempt starts inline.
   * @default process.env.BATON_SPAWNER when it is 'inline' or 'helper', else 'helper'
   */
  spawner?: SpawnerMode;
  /**
   * How a request's `prompt` reaches the program: `'stdin'`, its standard input (the prompt
   * file opened for reading); `'file'`, only the file, whose path the args name; `'arg'`, one
   * more argv element after the args. The prompt is kept in `${outputPrefix}.prompt` in every case.
   * @default 'stdin'
   */
  promptVia?: PromptVia;
}

export type SpawnerMode = 'helper' | 'inline';

const DEFAULT_KILL_GRACE_MS = 2000;
/** After the leader of an aborted attempt exits, how long to wait for the rest of its group to vanish. */
const GROUP_EXIT_WAIT_MS = 2000;

/**
 * An instrument that runs each attempt as a subprocess in its own process group, with output
 * captured to `${outputPrefix}.stdout` / `.stderr`. Aborting the signal kills the whole group.
 */
export function createCommandInstrument(options: CommandInstrumentOptions): Instrument {
  const config: CommandConfig = {
    name: options.name,
    command: [...options.command],
    env: { ...options.env },
    killGraceMs: Math.max(0, options.killGraceMs ?? DEFAULT_KILL_GRACE_MS),
    spawner: options.spawner ?? spawnerFromEnv() ?? 'helper',
    promptVia: options.promptVia ?? 'stdin',
  };
  // A helper takes a moment to start: begin now, so the first attempt does not wait for it.
  if (config.spawner === 'helper') sharedSpawnerPool().prefork();
  return {
    name: config.name,
    kind: 'command',
    run: (request, signal, hooks) =>
      runAttempt(config, request, signal, hooks).catch(
        (err: unknown): AttemptOutcome => ({ status: 'failure', error: `instrument error: ${errorMessage(err)}` }),
      ),
  };
}

interface CommandConfig {
  name: string;
  command: string[];
  env: Record<string, string>;
  killGraceMs: number;
  spawner: SpawnerMode;
  promptVia: PromptVia;
}

function spawnerFromEnv(): SpawnerMode | undefined {
  const value = process.env.BATON_SPAWNER;
  return value === 'helper' || value === 'inline' ? value : undefined;
}

async function runAttempt(
  config: CommandConfig,
  request: AttemptRequest,
  signal: AbortSignal,
  hooks: AttemptHooks,
): Promise<AttemptOutcome> {
  const program = config.command[0];
  if (program === undefined || program === '') {
    return {
      status: 'failure',
      unavailable: true,
      startError: { permanent: true },
      error: `cannot start instrument "${config.name}": no command configured`,
    };
  }
  if (signal.aborted) return { status: 'failure', error: abortedMessage(signal.reason) };

  const { prompt } = request;
  const viaArg = prompt !== undefined && config.promptVia === 'arg';
  if (viaArg) {
    const tooLong = argumentTooLong(prompt);
    // The kernel would refuse the exec (E2BIG) on every try: a program that cannot start.
    if (tooLong !== undefined) return { status: 'failure', unavailable: true, startError: { permanent: true }, error: tooLong };
  }
  const attempt: Attempt = {
    program,
    args: [...config.command.slice(1), ...request.args, ...(viaArg ? [prompt] : [])],
    files: {
      stdoutFile: `${request.outputPrefix}.stdout`,
      stderrFile: `${request.outputPrefix}.stderr`,
      ...(prompt !== undefined && { promptFile: `${request.outputPrefix}.prompt` }),
    },
  };
  if (config.spawner === 'helper') {
    const child = sharedSpawnerPool().start(startSpec(config, attempt, request));
    // No helper could be forked: this attempt spawns from baton's own process.
    if (child !== undefined) return superviseRemote(config, attempt, child, request, signal, hooks);
  }
  return runInline(config, attempt, request, signal, hooks);
}

/** What every path of one attempt shares: the argv and the captured output's files. */
interface Attempt {
  program: string;
  args: string[];
  files: OutputFiles;
}

interface OutputFiles {
  stdoutFile: string;
  stderrFile: string;
  promptFile?: string;
}

/** How to prepare and spawn the attempt, in baton's process or in a spawner helper. */
function startSpec(config: CommandConfig, attempt: Attempt, request: AttemptRequest): StartSpec {
  // Resolved against baton's working directory: a helper may have another.
  const workspace = resolve(request.workspace);
  return {
    file: attempt.program,
    args: attempt.args,
    cwd: workspace,
    env: attemptEnv(config.env, request),
    folders: [workspace, resolve(dirname(request.outputPrefix))],
    stdoutFile: resolve(attempt.files.stdoutFile),
    stderrFile: resolve(attempt.files.stderrFile),
    groupExitWaitMs: GROUP_EXIT_WAIT_MS,
    ...(request.outputScan !== undefined && { scan: request.outputScan }),
    ...(attempt.files.promptFile !== undefined && { prompt: promptInput(config, attempt.files.promptFile, request.prompt ?? '') }),
  };
}

function promptInput(config: CommandConfig, file: string, text: string): PromptInput {
  return { file: resolve(file), text, stdin: config.promptVia === 'stdin' };
}

/** Prepares and spawns the attempt from baton's own process. */
async function runInline(
  config: CommandConfig,
  attempt: Attempt,
  request: AttemptRequest,
  signal: AbortSignal,
  hooks: AttemptHooks,
): Promise<AttemptOutcome> {
  const spec = startSpec(config, attempt, request);
  let handles: OutputHandles;
  try {
    handles = await prepareOutputs(spec.folders, spec.stdoutFile, spec.stderrFile, spec.prompt);
  } catch (err) {
    return prepareFailure(errorInfo(err));
  }
  if (signal.aborted) {
    await closeQuietly(...handles);
    return abortedBeforeStart(abortedMessage(signal.reason), attempt.files);
  }

  let child: ChildProcess;
  try {
    child = spawnInGroup(spec.file, spec.args, spec, handles);
  } catch (err) {
    await closeQuietly(...handles);
    return spawnThrew(attempt, errorInfo(err));
  }

  // The handles stay open in baton (the child has its own copies) until the output is read.
  try {
    const supervised = await superviseProcess(child, superviseOptions(config, child, signal, hooks));
    if (supervised.end.kind === 'error') return startErrorOutcome(attempt.program, supervised.end.error);
    const output = await endOfAttempt(child.pid, handles, spec.groupExitWaitMs, spec.scan);
    return exitOutcome(supervised.end, supervised.stopReason, attempt.files, output);
  } finally {
    await closeQuietly(...handles);
  }
}

/**
 * Waits for an attempt a spawner helper runs. The helper prepares the files, spawns, and on
 * exit kills the rest of the group, reads the tails and scans the output; stopping it stays
 * baton's: the pid it reports is the group's, and signals go to it from here.
 */
async function superviseRemote(
  config: CommandConfig,
  attempt: Attempt,
  child: RemoteChild,
  request: AttemptRequest,
  signal: AbortSignal,
  hooks: AttemptHooks,
): Promise<AttemptOutcome> {
  const { end, stopReason } = await superviseProcess(child, superviseOptions(config, child, signal, hooks));
  const { failure } = child;
  if (failure !== undefined) {
    switch (failure.kind) {
      case 'prepare-failed':
        return prepareFailure(failure.error);
      case 'spawn-threw':
        return spawnThrew(attempt, failure.error);
      case 'cancelled':
        // Names the output files only if they exist, as the in-process path does.
        return abortedBeforeStart(stopReason ?? abortedMessage(signal.reason), failure.filesCreated ? attempt.files : undefined);
      case 'helper-lost':
        // Not a start error: the program may have run, and the next try gets a new helper.
        return { status: 'failure', error: failure.message, ...(child.pid !== undefined && attempt.files) };
      case 'helper-unavailable':
        // Nothing was done yet: the attempt starts here, as if no helper had been asked.
        if (stopReason !== undefined) return { status: 'failure', error: stopReason };
        return runInline(config, attempt, request, signal, hooks);
    }
  }
  if (end.kind === 'error') return startErrorOutcome(attempt.program, end.error);
  return exitOutcome(end, stopReason, attempt.files, child.output);
}

function superviseOptions(
  config: CommandConfig,
  child: { readonly pid?: number | undefined },
  signal: AbortSignal,
  hooks: AttemptHooks,
): SuperviseOptions {
  return {
    killGraceMs: config.killGraceMs,
    signal,
    onSpawn: () => hooks.onStarted(child.pid !== undefined ? { pid: child.pid } : {}),
  };
}

function prepareFailure(error: ErrorInfo): AttemptOutcome {
  return {
    status: 'failure',
    error: `cannot prepare the attempt: ${error.message}`,
    ...(OUT_OF_RESOURCES.has(error.code ?? '') && { startError: { permanent: false } }),
  };
}

function abortedBeforeStart(reason: string, files: OutputFiles | undefined): AttemptOutcome {
  return { status: 'failure', error: reason, ...files };
}

/** `spawn` threw: for invalid arguments (e.g. a NUL byte) and unexpected errno values. */
function spawnThrew(attempt: Attempt, error: ErrorInfo): AttemptOutcome {
  return {
    status: 'failure',
    error: `cannot start "${attempt.program}": ${error.message}`,
    ...(isSystemError(error.code) && { startError: { permanent: false } }),
    ...attempt.files,
  };
}

/**
 * A missing or non-executable program will not fix itself; running out of processes or
 * descriptors (EAGAIN, EMFILE) may pass: a dispatch buffer tries the start again, and
 * without one it is an ordinary, retryable failure.
 */
function startErrorOutcome(program: string, error: NodeJS.ErrnoException): AttemptOutcome {
  const code = error.code;
  const unavailable = code === 'ENOENT' || code === 'EACCES';
  return { status: 'failure', unavailable, startError: { permanent: unavailable }, error: cannotStartMessage(program, error) };
}

/** How the program ended, once nothing of its group is left, the tails are read and the streams scanned. */
function exitOutcome(
  end: Extract<ProcessEnd, { kind: 'exit' }>,
  stopReason: string | undefined,
  files: OutputFiles,
  { stdoutTail, stderrTail, findings }: EndedOutput,
): AttemptOutcome {
  const outcome: AttemptOutcome = {
    status: 'failure',
    exitCode: end.code,
    signal: end.signal,
    ...files,
    stdoutTail,
    stderrTail,
    scanned: findings,
  };
  if (stopReason !== undefined) {
    outcome.error = stopReason;
  } else if (end.code === 0) {
    outcome.status = 'success';
  } else {
    const base = end.code !== null ? `exited with status ${end.code}` : `killed by ${end.signal ?? 'a signal'}`;
    const line = lastNonEmptyLine(stderrTail);
    outcome.error = line === undefined ? base : `${base}: ${line}`;
  }
  return outcome;
}

function attemptEnv(extra: Record<string, string>, request: AttemptRequest): Record<string, string> {
  const env = minimalEnv(extra);
  env.BATON_SHEET_ID = request.sheetId;
  env.BATON_ATTEMPT = String(request.attempt);
  env.BATON_MODE = request.mode;
  env.BATON_WORKSPACE = request.workspace;
  // Present only when something failed, one description per line; never taken from `extra`.
  const failed = request.failedValidations;
  if (failed !== undefined && failed.length > 0) env.BATON_FAILED_VALIDATIONS = failed.join('\n');
  else delete env.BATON_FAILED_VALIDATIONS;
  return env;
}

/** Out of processes or descriptors: another try, a moment later, may succeed. */
const OUT_OF_RESOURCES: ReadonlySet<string> = new Set(['EAGAIN', 'EMFILE', 'ENFILE']);

/**
 * An errno from the system, which another try may not meet. Node's own argument errors
 * (`ERR_*`, e.g. a NUL byte in an argument) fail the same way every time: ordinary failures.
 */
function isSystemError(code: string | undefined): boolean {
  return code !== undefined && !code.startsWith('ERR_');
}

