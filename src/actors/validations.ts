import { spawn, type ChildProcess } from 'node:child_process';
import { constants, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { abortedMessage } from './abort-reason.js';
import { cannotStartMessage, minimalEnv } from './process/env.js';
import { lastNonEmptyLine } from './process/output-tail.js';
import { killGroupAndWait } from './process/group.js';
import { superviseProcess } from './process/supervise.js';
import { errorMessage } from '../util/error-message.js';

/** A sheet's validation with its templates rendered for one attempt. */
export type RenderedValidation =
  | { kind: 'file_exists'; path: string }
  | { kind: 'file_matches'; path: string; pattern: string }
  | { kind: 'command_succeeds'; argv: string[] };

interface ValidationResult {
  kind: RenderedValidation['kind'];
  /** Short human text naming the check, e.g. `file_matches out/1.txt /^OK/`. */
  description: string;
  passed: boolean;
  /** Why it failed, or a note about a pass (e.g. only part of a large file was tested). */
  detail?: string;
}

export interface ValidationReport {
  passed: number;
  total: number;
  /** `passed / total`; 1 when there is nothing to validate. */
  passRate: number;
  /** One per validation, in the order given. */
  results: ValidationResult[];
  /** The descriptions of the failed validations, in order. */
  failed: string[];
}

export interface RunValidationsOptions {
  /** Relative paths resolve against it; commands run in it. */
  cwd: string;
  /** Variables added to the minimal inherited environment of validation commands. */
  env?: Record<string, string>;
  /** Aborting stops the running command (its process group is killed); the rest are not run. */
  signal?: AbortSignal;
  /**
   * How long one `command_succeeds` may run before its process group is killed.
   * @default 60000
   */
  commandTimeoutMs?: number;
}

const DEFAULT_VALIDATION_COMMAND_TIMEOUT_MS = 60_000;
/** `file_matches` tests at most this many bytes of a file (its beginning). */
export const FILE_MATCH_MAX_BYTES = 16 * 1024 * 1024;
/** Descriptions longer than this are cut (with an ellipsis). */
const MAX_DESCRIPTION_CHARS = 240;

/** Between SIGTERM and SIGKILL for a command that is stopped. */
const KILL_GRACE_MS = 1000;
/** After a command's leader exits, how long the rest of its group has to vanish. */
const GROUP_EXIT_WAIT_MS = 2000;
/** After the group is gone, how long to wait for the output pipes to close. */
const PIPE_CLOSE_WAIT_MS = 250;
/** Characters of each output stream kept in memory for the failure detail. */
const OUTPUT_KEEP_CHARS = 4096;
const READ_CHUNK_BYTES = 64 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Check {
  passed: boolean;
  detail?: string;
}

/**
 * Runs the validations one after the other, in order, and reports each. Never rejects: a
 * problem (missing file, bad pattern, missing program, timeout, abort) is a failed validation
 * with a `detail`. Once `signal` aborts, the running command is killed and the remaining
 * validations fail as not run.
 */
export async function runValidations(
  validations: readonly RenderedValidation[],
  options: RunValidationsOptions,
): Promise<ValidationReport> {
  const results: ValidationResult[] = [];
  for (const validation of validations) {
    const description = safeDescription(validation);
    let check: Check;
    try {
      const signal = options.signal;
      check = signal?.aborted
        ? { passed: false, detail: `not run: ${abortedMessage(signal.reason)}` }
        : await runOne(validation, options);
    } catch (err) {
      check = { passed: false, detail: `validation error: ${errorMessage(err)}` };
    }
    const result: ValidationResult = { kind: validation.kind, description, passed: check.passed };
    if (check.detail !== undefined) result.detail = check.detail;
    results.push(result);
  }
  const failed = results.filter((r) => !r.passed).map((r) => r.description);
  const total = results.length;
  const passed = total - failed.length;
  return { passed, total, passRate: total === 0 ? 1 : passed / total, results, failed };
}

/** Short human text for a validation: `file_exists out/1.txt`, `command_succeeds test -s out/1.txt`. */
export function describeValidation(validation: RenderedValidation): string {
  let text: string;
  switch (validation.kind) {
    case 'file_exists':
      text = `file_exists ${quote(validation.path)}`;
      break;
    case 'file_matches':
      text = `file_matches ${quote(validation.path)} /${escapeControls(validation.pattern)}/`;
      break;
    case 'command_succeeds':
      text = ['command_succeeds', ...validation.argv.map(quote)].join(' ');
      break;
  }
  return text.length > MAX_DESCRIPTION_CHARS ? `${text.slice(0, MAX_DESCRIPTION_CHARS - 1)}…` : text;
}

/** Like {@link describeValidation}, for a value that may not have the expected shape. */
function safeDescription(validation: RenderedValidation): string {
  try {
    return describeValidation(validation);
  } catch {
    return String((validation as { kind?: unknown } | null | undefined)?.kind ?? 'validation');
  }
}

function runOne(validation: RenderedValidation, options: RunValidationsOptions): Promise<Check> {
  switch (validation.kind) {
    case 'file_exists':
      return fileExists(validation.path, options.cwd);
    case 'file_matches':
      return fileMatches(validation.path, validation.pattern, options.cwd);
    case 'command_succeeds':
      return commandSucceeds(validation.argv, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Files

async function fileExists(path: string, cwd: string): Promise<Check> {
  if (path === '') return fail('empty path');
  let stats: Stats;
  try {
    stats = await stat(resolve(cwd, path));
  } catch (err) {
    return fail(fileErrorText(err));
  }
  return stats.isFile() ? { passed: true } : fail(`not a regular file (${fileKind(stats)})`);
}

async function fileMatches(path: string, pattern: string, cwd: string): Promise<Check> {
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'm');
  } catch (err) {
    return fail(`invalid regular expression /${escapeControls(pattern)}/: ${errorMessage(err).replace(/^.*: /, '')}`);
  }
  if (path === '') return fail('empty path');
  const full = resolve(cwd, path);
  // Checked before opening, so that a FIFO or a device is never opened (it could block).
  try {
    const stats = await stat(full);
    if (!stats.isFile()) return fail(`not a regular file (${fileKind(stats)})`);
  } catch (err) {
    return fail(fileErrorText(err));
  }
  let read: { text: string; size: number; truncated: boolean };
  try {
    read = await readHead(full, FILE_MATCH_MAX_BYTES);
  } catch (err) {
    return fail(fileErrorText(err));
  }
  const matched = re.test(read.text);
  if (!read.truncated) return matched ? { passed: true } : fail('no match in the file');
  const note = `only the first ${formatBytes(FILE_MATCH_MAX_BYTES)} of ${read.size} bytes were tested`;
  return matched ? { passed: true, detail: note } : fail(`no match; ${note}`);
}

/** The first `maxBytes` bytes of a regular file, decoded as UTF-8, and whether there was more. */
async function readHead(path: string, maxBytes: number): Promise<{ text: string; size: number; truncated: boolean }> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error(`not a regular file (${fileKind(stats)})`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // One byte past the limit tells a file of exactly `maxBytes` from a longer one.
      const want = Math.min(READ_CHUNK_BYTES, maxBytes + 1 - total);
      if (want <= 0) break;
      const buffer = Buffer.alloc(want);
      const { bytesRead } = await handle.read(buffer, 0, want, total);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === want ? buffer : buffer.subarray(0, bytesRead));
      total += bytesRead;
    }
    const truncated = total > maxBytes;
    const all = Buffer.concat(chunks, total);
    const text = (truncated ? all.subarray(0, maxBytes) : all).toString('utf8');
    return { text, size: Math.max(stats.size, total), truncated };
  } finally {
    await handle.close().catch(() => {});
  }
}

function fileErrorText(err: unknown): string {
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT':
      return 'no such file';
    case 'ENOTDIR':
      return 'no such file (a parent is not a folder)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return errorMessage(err);
  }
}

function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a file';
}

// ---------------------------------------------------------------------------------------------
// Commands

async function commandSucceeds(argv: readonly string[], options: RunValidationsOptions): Promise<Check> {
  const program = argv[0];
  if (program === undefined || program === '') return fail('no command to run');
  const cwd = options.cwd;
  try {
    const stats = await stat(cwd);
    if (!stats.isDirectory()) return fail(`cannot run in "${cwd}": not a folder`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(`cannot run in "${cwd}": ${code === 'ENOENT' ? 'no such folder' : errorMessage(err)}`);
  }
  const signal = options.signal;
  if (signal?.aborted) return fail(`not run: ${abortedMessage(signal.reason)}`);

  let child: ChildProcess;
  try {
    child = spawn(program, argv.slice(1), {
      cwd,
      env: minimalEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that one signal to -pid reaches every descendant.
      detached: true,
    });
  } catch (err) {
    // Thrown synchronously for invalid arguments (e.g. a NUL byte).
    return fail(`cannot start "${program}": ${errorMessage(err)}`);
  }
  const stdout = collectTail(child.stdout);
  const stderr = collectTail(child.stderr);

  const { end, stopReason } = await superviseProcess(child, {
    killGraceMs: KILL_GRACE_MS,
    timeoutMs: timeoutOf(options.commandTimeoutMs),
    ...(signal !== undefined ? { signal } : {}),
  });
  if (end.kind === 'error') {
    stdout.destroy();
    stderr.destroy();
    return fail(cannotStartMessage(program, end.error));
  }
  // Whatever the command left running in its group ends with the check.
  const pid = child.pid;
  if (pid !== undefined) await killGroupAndWait(pid, GROUP_EXIT_WAIT_MS);
  await Promise.all([stdout.closed(PIPE_CLOSE_WAIT_MS), stderr.closed(PIPE_CLOSE_WAIT_MS)]);

  if (stopReason !== undefined) return fail(`${stopReason}; its process group was killed`);
  if (end.code === 0) return { passed: true };
  const base = end.code !== null ? `exited with status ${end.code}` : `killed by ${end.signal ?? 'a signal'}`;
  const line = lastNonEmptyLine(stderr.text()) ?? lastNonEmptyLine(stdout.text());
  return fail(line === undefined ? base : `${base}: ${line}`);
}

interface StreamTail {
  /** The last characters read (bounded). */
  text(): string;
  /** Resolves once the stream closed, or after `maxWaitMs`; then the stream is destroyed. */
  closed(maxWaitMs: number): Promise<void>;
  destroy(): void;
}

/** Keeps the last {@link OUTPUT_KEEP_CHARS} characters of a pipe, for the failure detail. */
function collectTail(stream: Readable | null): StreamTail {
  let kept = '';
  let isClosed = stream === null;
  const closedPromise = new Promise<void>((resolveClosed) => {
    if (stream === null) return resolveClosed();
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      kept += chunk;
      if (kept.length > 2 * OUTPUT_KEEP_CHARS) kept = kept.slice(-OUTPUT_KEEP_CHARS);
    });
    stream.on('error', () => {});
    stream.once('close', () => {
      isClosed = true;
      resolveClosed();
    });
  });
  const destroy = (): void => {
    if (stream !== null && !isClosed) stream.destroy();
  };
  return {
    text: () => kept.slice(-OUTPUT_KEEP_CHARS),
    async closed(maxWaitMs) {
      if (!isClosed) {
        // A process that left the group (setsid) may hold the pipe open: do not wait for it.
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((r) => {
          timer = setTimeout(r, maxWaitMs);
        });
        await Promise.race([closedPromise, timeout]);
        clearTimeout(timer);
      }
      destroy();
    },
    destroy,
  };
}

function timeoutOf(ms: number | undefined): number {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return DEFAULT_VALIDATION_COMMAND_TIMEOUT_MS;
  return Math.min(Math.floor(ms), MAX_TIMER_MS);
}

// ---------------------------------------------------------------------------------------------
// Text

function fail(detail: string): Check {
  return { passed: false, detail };
}

/** An argv element or path as it reads in a description: quoted (JSON) when it has spaces or quotes. */
function quote(text: string): string {
  return text === '' || /[\s"'\u0000-\u001f\u007f]/.test(text) ? JSON.stringify(text) : text;
}

/** Control characters of a pattern shown as escapes, so a description stays on one line. */
function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}

