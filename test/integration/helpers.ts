/**
 * Helpers for the integration tests: real subprocesses, a real clock, a real Conductor.
 * Nothing here asserts on timing; every wait polls for an outcome and is bounded only by
 * the test timeout.
 */
import { readFile } from 'node:fs/promises';
import { Conductor, type BatonEvent, type SheetStatus } from '../../src/index.js';
import { waitFor } from '../support/wait-for.js';

/** Lets the event bus deliver what it queued (it drains on `setImmediate`). */
export async function flushEvents(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

/** Waits until `file` holds a complete line (written with a trailing newline) and returns it, trimmed. */
async function readLineWhenWritten(file: string): Promise<string> {
  return waitFor(async () => {
    const text = await readFile(file, 'utf8').catch(() => '');
    return text.endsWith('\n') ? text.trim() : undefined;
  });
}

/** Waits until `file` holds a process group id written by `echo $$ > file`. */
export async function readPgid(file: string): Promise<number> {
  const pgid = Number(await readLineWhenWritten(file));
  if (!Number.isInteger(pgid) || pgid <= 1) throw new Error(`bad pgid in ${file}: ${pgid}`);
  return pgid;
}

export { expectGroupGone, groupExists } from '../support/process-groups.js';

/** SIGKILLs a group, if anything of it is left: cleanup after a failed test. */
export function killGroupQuietly(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** A conductor on the real clock, with every event it emits recorded. */
export function startConductor(): { conductor: Conductor; events: BatonEvent[] } {
  const conductor = new Conductor();
  const events: BatonEvent[] = [];
  conductor.events$.subscribe((event) => events.push(event));
  return { conductor, events };
}

/** The sheets of a status, by id. */
export function byId(sheets: SheetStatus[]): Record<string, SheetStatus> {
  return Object.fromEntries(sheets.map((sheet) => [sheet.id, sheet]));
}

/** A short, jitter-free backoff, so that retries happen quickly on the real clock. */
export const QUICK_BACKOFF = { initial: '10ms', factor: 1, max: '10ms', jitter: 0 } as const;
