import { processStartTime } from '../actors/process/identity.js';
import type { LockInfo, LockOwner } from './types.js';

/**
 * Whether a process of this host is alive. Signal 0 checks without sending anything:
 * success or EPERM (alive, owned by another user) mean alive; only ESRCH means gone. Any
 * other answer counts as alive, so a lock is never taken over on a guess.
 */
export function isProcessAlive(pid: number): boolean {
  // 0 and negative numbers name process groups, not a process.
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * The holder's pid now belongs to another process (after a reboot, say): the recorded
 * start time no longer matches. Unknown start times never count as recycled.
 */
function recycled(holder: LockInfo): boolean {
  if (holder.pidStart === undefined || holder.pidStart === null) return false;
  const now = processStartTime(holder.pid);
  return now !== null && now !== holder.pidStart;
}

/**
 * What `acquireLock(owner)` does given the current holder: `take` (no holder, the owner's
 * own lock, or a holder on this host whose process is gone) or `refuse` (a live holder on
 * this host, or any holder on another host, whose liveness cannot be checked from here).
 * Both stores decide with this one function, so their locks behave alike.
 */
export function decideLock(
  holder: LockInfo | undefined,
  owner: LockOwner,
  alive: (pid: number) => boolean = isProcessAlive,
): { take: true } | { take: false; otherHost: boolean } {
  if (holder === undefined) return { take: true };
  if (holder.host !== owner.host) return { take: false, otherHost: true };
  if (holder.pid === owner.pid) return { take: true };
  return alive(holder.pid) && !recycled(holder) ? { take: false, otherHost: false } : { take: true };
}
