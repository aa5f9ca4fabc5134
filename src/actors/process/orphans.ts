import { processStartTime } from './identity.js';

/** What a checkpoint recorded of an attempt's process (an `AttemptRow` has it). */
export interface RecordedAttempt {
  readonly status: string;
  readonly pid: number | null;
  readonly pidStart: string | null;
}

/**
 * Stops the process groups of attempts that were running when an earlier conductor died:
 * they would otherwise run on next to their own retry. A group is killed only when it is
 * certainly the one recorded — its leader is the recorded process, or the leader is gone
 * and members remain (a group id is not reused while the group has members).
 */
export function stopOrphans(attempts: readonly RecordedAttempt[]): number {
  let stopped = 0;
  for (const row of attempts) {
    if (row.status !== 'running' || row.pid === null || row.pidStart === null) continue;
    const start = processStartTime(row.pid);
    if (start !== null && start !== row.pidStart) continue;
    try {
      process.kill(-row.pid, 'SIGKILL');
      stopped++;
    } catch {
      // ESRCH: the group is gone already.
    }
  }
  return stopped;
}
