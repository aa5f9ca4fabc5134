import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { AttemptRow } from '../../store/types.js';

/** The beginning of one attempt's prompt, as the report shows it. */
export interface PromptExcerpt {
  sheetId: string;
  /** The attempt's run number: the `<n>` of its `<n>.stdout` and `<n>.prompt`. */
  run: number;
  /** Absolute path of the whole prompt. */
  file: string;
  /** Its first bytes, decoded as UTF-8 (a character cut at the end is dropped). */
  text: string;
  /** Its size in bytes: more than `text` holds when it was cut. */
  bytes: number;
  truncated: boolean;
}

export interface PromptLimits {
  /** Sheets whose prompt is shown at most. @default 200 */
  maxSheets?: number;
  /** Bytes shown of each prompt at most. @default 4096 */
  maxBytes?: number;
}

/**
 * The prompt file a command attempt kept beside its stdout (`<n>.prompt` next to
 * `<n>.stdout`): the checkpoint records the output files, and the prompt is their sibling.
 */
export function promptFileOf(attempt: Pick<AttemptRow, 'stdoutFile'>): string | undefined {
  const out = attempt.stdoutFile;
  return out !== null && out.endsWith('.stdout') ? `${out.slice(0, -'.stdout'.length)}.prompt` : undefined;
}

/**
 * The prompt of each sheet's latest attempt that kept one, in the order of `attempts`
 * (the checkpoint's), reading only the bytes shown. A missing or unreadable file shows nothing.
 */
export function readPrompts(attempts: readonly AttemptRow[], limits: PromptLimits = {}): PromptExcerpt[] {
  const maxSheets = limits.maxSheets ?? 200;
  const maxBytes = limits.maxBytes ?? 4096;
  const latest = new Map<string, AttemptRow>();
  for (const attempt of attempts) {
    if (promptFileOf(attempt) === undefined) continue;
    const seen = latest.get(attempt.sheetId);
    if (seen === undefined || attempt.number > seen.number) latest.set(attempt.sheetId, attempt);
  }
  const excerpts: PromptExcerpt[] = [];
  for (const attempt of latest.values()) {
    if (excerpts.length >= maxSheets) break;
    const file = promptFileOf(attempt)!;
    const read = readStart(file, maxBytes);
    if (read !== undefined) excerpts.push({ sheetId: attempt.sheetId, run: attempt.number, file, ...read });
  }
  return excerpts;
}

function readStart(file: string, maxBytes: number): Pick<PromptExcerpt, 'text' | 'bytes' | 'truncated'> | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const bytes = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.min(bytes, maxBytes));
    const got = readSync(fd, buffer, 0, buffer.length, 0);
    const truncated = got < bytes;
    let text = buffer.subarray(0, got).toString('utf8');
    if (truncated) text = text.replace(/\uFFFD+$/, '');
    return { text, bytes, truncated };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
