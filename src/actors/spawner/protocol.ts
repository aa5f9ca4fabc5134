import { isOutputScanRules, type OutputFindings, type OutputScanRules } from '../process/output-scan.js';
import type { PromptInput } from './attempt-process.js';

/**
 * The messages between baton and a spawner helper, over Node's IPC channel (JSON). The
 * helper first says `ready`; then each attempt is one `start`, answered by `spawned` then
 * `exit`, or by one of the replies that say it never ran: `start-error`, `prepare-failed`,
 * `spawn-threw`, `cancelled`.
 */

/** Asks the helper to prepare the attempt's folders and output files, then start the program. */
export interface StartRequest {
  type: 'start';
  id: number;
  file: string;
  args: string[];
  /** Absolute. */
  cwd: string;
  env: Record<string, string>;
  /** Created (recursively) before the output files are opened. Absolute. */
  folders: string[];
  /** Opened 'w+' as the program's stdout and stderr. Absolute. */
  stdoutFile: string;
  stderrFile: string;
  /** After the program exits, how long to wait for the rest of its process group to vanish. */
  groupExitWaitMs: number;
  /** What to look for in the whole output once the program exited; absent: nothing. */
  scan?: OutputScanRules;
  /** The sheet's prompt, written beside the output files (and given as stdin) before the spawn. */
  prompt?: PromptInput;
}

/** Withdraws a start the helper has not carried out yet; ignored once the program runs. */
interface CancelRequest {
  type: 'cancel';
  id: number;
}

export type SpawnerRequest = StartRequest | CancelRequest;

/** An error turned into plain data, so that it crosses the channel with its errno fields. */
export interface ErrorInfo {
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

/** Sent once, when the helper listens: a helper that dies before it had started nothing. */
export interface ReadyMessage {
  type: 'ready';
}

export type SpawnerReply =
  | { type: 'spawned'; id: number; pid: number }
  /** The child's 'error' before it spawned (ENOENT, EACCES, EAGAIN…). */
  | { type: 'start-error'; id: number; error: ErrorInfo }
  /** Creating the folders or opening the output files failed. */
  | { type: 'prepare-failed'; id: number; error: ErrorInfo }
  /** `spawn` itself threw (an invalid argument such as a NUL byte, an unexpected errno). */
  | { type: 'spawn-threw'; id: number; error: ErrorInfo }
  /** A `cancel` arrived before the program was started: nothing ran. */
  | { type: 'cancelled'; id: number }
  /** The program exited and nothing of its process group is left; tails are read and streams scanned after that. */
  | {
      type: 'exit';
      id: number;
      code: number | null;
      signal: NodeJS.Signals | null;
      stdoutTail: string;
      stderrTail: string;
      findings: OutputFindings;
    };

export function errorInfo(err: unknown): ErrorInfo {
  if (!(err instanceof Error)) return { message: String(err) };
  const { code, errno, syscall, path } = err as NodeJS.ErrnoException;
  return {
    message: err.message,
    ...(typeof code === 'string' && { code }),
    ...(typeof errno === 'number' && { errno }),
    ...(typeof syscall === 'string' && { syscall }),
    ...(typeof path === 'string' && { path }),
  };
}

/** The error an `ErrorInfo` describes, as Node would have raised it in baton's own process. */
export function errnoException(info: ErrorInfo): NodeJS.ErrnoException {
  const { message, ...fields } = info;
  return Object.assign(new Error(message), fields);
}

export function isSpawnerRequest(message: unknown): message is SpawnerRequest {
  if (!isRecord(message) || !Number.isInteger(message.id)) return false;
  if (message.type === 'cancel') return true;
  // `args` and `env` are left to `spawn` to judge, so that it rejects them as it would in baton.
  return (
    message.type === 'start' &&
    typeof message.file === 'string' &&
    Array.isArray(message.args) &&
    typeof message.cwd === 'string' &&
    isRecord(message.env) &&
    isStringArray(message.folders) &&
    typeof message.stdoutFile === 'string' &&
    typeof message.stderrFile === 'string' &&
    typeof message.groupExitWaitMs === 'number' &&
    (message.scan === undefined || isOutputScanRules(message.scan)) &&
    (message.prompt === undefined || isPromptInput(message.prompt))
  );
}

function isPromptInput(value: unknown): value is PromptInput {
  return isRecord(value) && typeof value.file === 'string' && typeof value.text === 'string' && typeof value.stdin === 'boolean';
}

export function isReadyMessage(message: unknown): message is ReadyMessage {
  return isRecord(message) && message.type === 'ready';
}

export function isSpawnerReply(message: unknown): message is SpawnerReply {
  return (
    isRecord(message) &&
    Number.isInteger(message.id) &&
    typeof message.type === 'string' &&
    REPLY_TYPES.has(message.type)
  );
}

const REPLY_TYPES: ReadonlySet<string> = new Set(['spawned', 'start-error', 'prepare-failed', 'spawn-threw', 'cancelled', 'exit']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
