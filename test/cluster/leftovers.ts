/**
 * What a shared-policy test leaves running when a conductor is killed or a test fails
 * halfway: `baton` processes, their spawner helpers, and attempts (each the leader of its
 * own process group, its pid in the shared log). `cleanUp` ends them all, by pid.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { isAlive } from '../support/process-groups.js';
import type { BatonProcess } from '../cli/run-cli.js';
import { ATTEMPT, readLog } from './shared-runs.js';

const batons = new Set<BatonProcess>();
const helpers = new Set<number>();
const logs = new Set<string>();

/** Ends `baton` at the end of the test if it still runs. */
export function track(run: BatonProcess): BatonProcess {
  batons.add(run);
  return run;
}

/** The attempts logged in `log` that have not ended are killed at the end of the test. */
export function trackLog(log: string): void {
  logs.add(log);
}

/** The processes whose parent is `pid` (its spawner helpers, for a `baton`), from /proc. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

/** The spawner helpers of a `baton` about to be killed: they are killed at the end of the test. */
export function trackHelpersOf(pid: number): number[] {
  const found = childrenOf(pid);
  for (const helper of found) helpers.add(helper);
  return found;
}

/** Pids of the attempts of `log` that started and have not written their last line. */
export function unfinishedAttempts(log: string): number[] {
  const open = new Set<number>();
  for (const line of readLog(log)) {
    if (line.what === 'start') open.add(line.pid);
    else open.delete(line.pid);
  }
  return [...open];
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

function killQuietly(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Kills whatever the test left running: only processes it started, checked by their command line. */
export function cleanUp(): void {
  for (const run of batons) if (run.child.exitCode === null && run.child.signalCode === null) killQuietly(run.pid);
  for (const helper of helpers) if (isAlive(helper) && commandLine(helper).includes('spawner')) killQuietly(helper);
  for (const log of logs) {
    // An attempt leads its own process group: the group goes, with anything it started.
    for (const pid of unfinishedAttempts(log)) if (commandLine(pid).includes(ATTEMPT)) killQuietly(-pid);
  }
  batons.clear();
  helpers.clear();
  logs.clear();
}
