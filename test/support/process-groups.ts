// Process groups as the tests see them, through kill(2) and /proc (Linux).
import { readdirSync, readFileSync } from 'node:fs';

/** State letter of each process in group `pgid`, read from /proc, keyed by pid. */
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
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    return false;
  }
}

/** Pids of the group that are still alive; zombies (dead, not reaped yet) do not count. */
function liveGroupMembers(pgid: number): number[] {
  if (process.platform !== 'linux') return groupExists(pgid) ? [pgid] : [];
  return [...groupStates(pgid)].filter(([, state]) => state !== 'Z' && state !== 'X').map(([pid]) => pid);
}

/** Whether process `pid` runs; a zombie does not. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
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

/**
 * Asserts nothing of the group is alive now (zombies allowed), then waits until the last
 * zombies are reaped and `kill(-pgid, 0)` fails with ESRCH. A container's init may reap
 * reparented grandchildren slowly, hence the poll (the test's timeout bounds it).
 */
export async function expectGroupGone(pgid: number): Promise<void> {
  const live = liveGroupMembers(pgid);
  if (live.length > 0) throw new Error(`process group ${pgid} still has live members: ${live.join(', ')}`);
  while (groupExists(pgid)) await new Promise((resolve) => setTimeout(resolve, 10));
}
