import { readdir, readFile } from 'node:fs/promises';

/** Sends `sig` to every process of the group `pgid`; false when the group has no process left. */
export function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    // ESRCH: nothing left in the group. (EPERM cannot happen for a group we started.)
    return false;
  }
}

/**
 * Whether a process of the group is still alive. Dead processes that their new parent has not
 * reaped yet (zombies) still answer `kill -0`; on Linux they are told apart through /proc, so a
 * slow reaper (a container's init, for instance) does not look like a survivor.
 */
async function groupHasLiveMembers(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false;
  if (process.platform !== 'linux') return true;
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return true;
  }
  const states = await Promise.all(
    entries.filter((entry) => /^\d+$/.test(entry)).map((pid) => memberState(pid, pgid)),
  );
  return states.some((state) => state !== undefined && state !== 'Z' && state !== 'X');
}

/** The state letter of process `pid` when it belongs to group `pgid`. */
async function memberState(pid: string, pgid: number): Promise<string | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // exited meanwhile
  }
  // "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses, so split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[2]) === pgid ? fields[0] : undefined;
}

/**
 * SIGKILLs whatever is left of the group and waits (at most `maxWaitMs`) until none of it is
 * alive, so that an aborted attempt leaves nothing running behind it.
 */
export async function killGroupAndWait(pgid: number, maxWaitMs: number, pollMs = 10): Promise<void> {
  if (!signalGroup(pgid, 'SIGKILL')) return;
  const deadline = Date.now() + maxWaitMs;
  while ((await groupHasLiveMembers(pgid)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
