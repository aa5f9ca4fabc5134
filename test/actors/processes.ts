import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { waitFor } from './helpers.js';

/** State letter of each process in group `pgid`, read from /proc (Linux), keyed by pid. */
function groupStates(pgid: number): Map<number, string> {
  const states = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== undefined) states.set(Number(entry), state);
  }
  return states;
}

/** Processes of the group that still run; zombies (dead, waiting for their reaper) do not count. */
export function liveGroupMembers(pgid: number): number[] {
  if (process.platform !== 'linux') return groupExists(pgid) ? [pgid] : [];
  return [...groupStates(pgid)].filter(([, state]) => state !== 'Z' && state !== 'X').map(([pid]) => pid);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ESRCH');
    return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** `kill -0` on the group: true while any process of it, zombies included, exists. */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ESRCH');
    return false;
  }
}

/**
 * Asserts the group is dead now, then waits for its last zombies to be reaped (by init, which
 * may be slow in a container) until `kill(-pgid, 0)` fails with ESRCH.
 */
export async function expectGroupGone(pgid: number): Promise<void> {
  expect(liveGroupMembers(pgid)).toEqual([]);
  await waitFor(() => (groupExists(pgid) ? undefined : true));
}

/** Waits until the attempt's stdout holds `lines` complete lines, and returns them. */
export async function stdoutLines(prefix: string, lines: number): Promise<string[]> {
  return waitFor(async () => {
    const text = await readFile(`${prefix}.stdout`, 'utf8').catch(() => '');
    const got = text.split('\n').filter((line) => line !== '');
    return text.endsWith('\n') && got.length >= lines ? got : undefined;
  });
}

/** The parent of process `pid`, from /proc (Linux). */
export function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}
