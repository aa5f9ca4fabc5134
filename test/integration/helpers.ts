/**
 * Helpers for the integration tests: real subprocesses, a real clock, a real Conductor.
 * Nothing here asserts on timing; every wait polls for an outcome and is bounded only by
 * the test timeout.
 */
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Conductor } from '../../src/runtime/conductor.js';
import type { BatonEvent } from '../../src/runtime/events.js';
import type { SheetStatus } from '../../src/runtime/status.js';

/** A fresh temporary folder (symlinks resolved, so paths compare equal to what baton reports). */
export function makeTempDir(prefix = 'baton-it-'): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Polls `check` until it returns a value other than undefined (the test timeout bounds it). */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, pollMs = 10): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Lets the event bus deliver what it queued (it drains on `setImmediate`). */
export async function flushEvents(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

/** Waits until `file` holds a complete line (written with a trailing newline) and returns it, trimmed. */
export async function readLineWhenWritten(file: string): Promise<string> {
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

/** State letter of each process in group `pgid`, read from /proc (Linux), keyed by pid. */
function groupStates(pgid: number): Map<number, string> {
  const states = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== undefined) states.set(Number(entry), state);
  }
  return states;
}

/** `kill -0` on the group: true while any process of it, zombies included, exists. */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ESRCH') throw err;
    return false;
  }
}

/** Pids of the group that are still alive; zombies (dead, not reaped yet) do not count. */
export function liveGroupMembers(pgid: number): number[] {
  if (process.platform !== 'linux') return groupExists(pgid) ? [pgid] : [];
  return [...groupStates(pgid)].filter(([, state]) => state !== 'Z' && state !== 'X').map(([pid]) => pid);
}

/**
 * Asserts nothing of the group is alive now (zombies allowed), then waits until the last
 * zombies are reaped and `kill(-pgid, 0)` fails with ESRCH. A container's init may reap
 * reparented grandchildren slowly, hence the poll.
 */
export async function expectGroupGone(pgid: number): Promise<void> {
  const live = liveGroupMembers(pgid);
  if (live.length > 0) throw new Error(`process group ${pgid} still has live members: ${live.join(', ')}`);
  await waitFor(() => (groupExists(pgid) ? undefined : true));
}

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
