import { readFileSync } from 'node:fs';

/**
 * The kernel's start time of a process (field 22 of /proc/<pid>/stat). With the pid it
 * names one process for good: a recycled pid has another start time. Null where /proc is
 * not available or the process is gone.
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}
