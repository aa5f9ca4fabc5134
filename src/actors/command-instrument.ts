import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { abortedMessage } from './abort-reason.js';
import type { AttemptHooks, AttemptOutcome, AttemptRequest, Instrument } from './instrument.js';
import { lastNonEmptyLine, readTailOf } from './output-tail.js';
import { killGroupAndWait } from './process-group.js';
import { superviseProcess } from './supervise.js';

export interface CommandInstrumentOptions {
  /** The instrument's name in the score. */
  name: string;
  /**
   * The argv prefix, started without a shell; each attempt's rendered `args` are appended.
   * @example ['bash', '-c']
   */
  command: string[];
  /** Variables added to the minimal inherited environment (see {@link INHERITED_ENV_KEYS}). */
  env?: Record<string, string>;
  /**
   * After an abort, how long the process group has between SIGTERM and SIGKILL.
   * @default 2000
   */
  killGraceMs?: number;
}

/** The only variables an attempt inherits from baton's own environment, when they are set. */
export const INHERITED_ENV_KEYS: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'TERM',
];

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
  };
  return {
    name: config.name,
    kind: 'command',
    run: (request, signal, hooks) =>
      runAttempt(config, request, signal, hooks).catch(
        (err: unknown): AttemptOutcome => ({ status: 'failure', error: `instrument error: ${errorText(err)}` }),
      ),
  };
}

interface CommandConfig {
  name: string;
  command: string[];
  env: Record<string, string>;
  killGraceMs: number;
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

  const stdoutFile = `${request.outputPrefix}.stdout`;
  const stderrFile = `${request.outputPrefix}.stderr`;
  let handles: [FileHandle, FileHandle];
  try {
    // Both recursive, so they may overlap (the output usually lies inside the workspace).
    await Promise.all([mkdir(request.workspace, { recursive: true }), mkdir(dirname(request.outputPrefix), { recursive: true })]);
    handles = await openOutputs(stdoutFile, stderrFile);
  } catch (err) {
    return {
      status: 'failure',
      error: `cannot prepare the attempt: ${errorText(err)}`,
      ...(OUT_OF_RESOURCES.has(errnoCode(err) ?? '') && { startError: { permanent: false } }),
    };
  }
  const [stdoutHandle, stderrHandle] = handles;
  if (signal.aborted) {
    await closeQuietly(stdoutHandle, stderrHandle);
    return { status: 'failure', error: abortedMessage(signal.reason), stdoutFile, stderrFile };
  }

  let child: ChildProcess;
  try {
    child = spawn(program, [...config.command.slice(1), ...request.args], {
      cwd: request.workspace,
      env: attemptEnv(config.env, request),
      stdio: ['ignore', stdoutHandle.fd, stderrHandle.fd],
      // Its own process group, so that one signal to -pid reaches every descendant.
      detached: true,
    });
  } catch (err) {
    // Thrown synchronously for invalid arguments (e.g. a NUL byte) and unexpected errno values.
    await closeQuietly(stdoutHandle, stderrHandle);
    return {
      status: 'failure',
      error: `cannot start "${program}": ${errorText(err)}`,
      ...(isSystemError(err) && { startError: { permanent: false } }),
      stdoutFile,
      stderrFile,
    };
  }

  // The handles stay open in baton (the child has its own copies) until the tails are read.
  try {
    return await superviseAndCollect(config, program, child, signal, hooks, { stdoutFile, stderrFile, stdoutHandle, stderrHandle });
  } finally {
    await closeQuietly(stdoutHandle, stderrHandle);
  }
}

interface AttemptFiles {
  stdoutFile: string;
  stderrFile: string;
  stdoutHandle: FileHandle;
  stderrHandle: FileHandle;
}

/** Waits for the process (and its group) to end and turns how it ended into an outcome. */
async function superviseAndCollect(
  config: CommandConfig,
  program: string,
  child: ChildProcess,
  signal: AbortSignal,
  hooks: AttemptHooks,
  { stdoutFile, stderrFile, stdoutHandle, stderrHandle }: AttemptFiles,
): Promise<AttemptOutcome> {
  const { end, stopReason } = await superviseProcess(child, {
    killGraceMs: config.killGraceMs,
    signal,
    onSpawn: () => hooks.onStarted(child.pid !== undefined ? { pid: child.pid } : {}),
  });

  if (end.kind === 'error') {
    // A missing or non-executable program will not fix itself; running out of processes or
    // descriptors (EAGAIN, EMFILE) may pass: a dispatch buffer tries the start again, and
    // without one it is an ordinary, retryable failure.
    const code = end.error.code;
    const unavailable = code === 'ENOENT' || code === 'EACCES';
    return { status: 'failure', unavailable, startError: { permanent: unavailable }, error: cannotStartMessage(program, end.error) };
  }
  // Whatever the program left running in its group ends with the attempt: leftovers would
  // outlive the sheet, escape the concurrency caps and keep writing to this attempt's files.
  const pid = child.pid;
  if (pid !== undefined) await killGroupAndWait(pid, GROUP_EXIT_WAIT_MS);

  const [stdoutTail, stderrTail] = await Promise.all([readTailOf(stdoutHandle), readTailOf(stderrHandle)]);
  const outcome: AttemptOutcome = {
    status: 'failure',
    exitCode: end.code,
    signal: end.signal,
    stdoutFile,
    stderrFile,
    stdoutTail,
    stderrTail,
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

/**
 * The environment of a process baton starts: only the {@link INHERITED_ENV_KEYS} that are set
 * in baton's own environment, then `extra` on top. Used for attempts and validation commands.
 */
export function minimalEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED_ENV_KEYS) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  Object.assign(env, extra);
  return env;
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

/** Why `program` could not be started, from the spawn error: `cannot start "x": command not found`. */
export function cannotStartMessage(program: string, error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return `cannot start "${program}": command not found`;
    case 'EACCES':
      return `cannot start "${program}": permission denied (not an executable file)`;
    default:
      return `cannot start "${program}": ${error.message}`;
  }
}

/** Out of processes or descriptors: another try, a moment later, may succeed. */
const OUT_OF_RESOURCES: ReadonlySet<string> = new Set(['EAGAIN', 'EMFILE', 'ENFILE']);

function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * An errno from the system, which another try may not meet. Node's own argument errors
 * (`ERR_*`, e.g. a NUL byte in an argument) fail the same way every time: ordinary failures.
 */
function isSystemError(err: unknown): boolean {
  const code = errnoCode(err);
  return code !== undefined && !code.startsWith('ERR_');
}

/** Opens both output files, for reading too: the tails are read through the same handles. */
async function openOutputs(stdoutFile: string, stderrFile: string): Promise<[FileHandle, FileHandle]> {
  const [out, err] = await Promise.allSettled([open(stdoutFile, 'w+'), open(stderrFile, 'w+')]);
  if (out.status === 'fulfilled' && err.status === 'fulfilled') return [out.value, err.value];
  await closeQuietly(out.status === 'fulfilled' ? out.value : undefined, err.status === 'fulfilled' ? err.value : undefined);
  throw out.status === 'rejected' ? out.reason : (err as PromiseRejectedResult).reason;
}

async function closeQuietly(...handles: (FileHandle | undefined)[]): Promise<void> {
  await Promise.all(handles.map((handle) => handle?.close().catch(() => {})));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
