/**
 * The built `baton` binary as separate processes that a test can signal, kill and wait
 * for: what the durability tests need beyond `startBaton` and `baton` (test/cli/run-cli.ts).
 * No wait here is an assertion; every one polls for an outcome and is bounded only by the
 * test timeout.
 */
import { existsSync, readFileSync } from 'node:fs';
import { baton, type BatonProcess, type CliResult, type Exit } from '../cli/run-cli.js';
import { killGroupQuietly } from '../integration/helpers.js';
import { waitFor } from '../support/wait-for.js';

/**
 * SIGKILLs the process after `delayMs` unless it ended first. The exit tells which
 * happened: `signal === 'SIGKILL'` for a kill, else the process ended on its own.
 */
export async function killAfter(proc: BatonProcess, delayMs: number): Promise<Exit> {
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), delayMs);
  try {
    return await proc.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until `file` has a line for which `match` holds; returns that line. */
export function waitForLine(file: string, match: (line: string) => boolean): Promise<string> {
  return waitFor(() => readLines(file).find(match), { pollMs: 20 });
}

/** The complete lines of a file (none if it does not exist). */
export function readLines(file: string): string[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  // A line still being written (no newline yet) is not counted.
  lines.pop();
  return lines.filter((line) => line !== '');
}

/**
 * Kills the process groups whose leaders' pids sheets wrote (`echo "ID $$" >> log`): the
 * attempts a SIGKILLed baton left behind, so that no test leaves a stray process. A pid is
 * killed only while it still leads its own group, so a recycled pid is left alone.
 */
export function killLeftovers(logFile: string): void {
  for (const line of readLines(logFile)) {
    const pid = Number(line.split(' ')[1]);
    if (!Number.isInteger(pid) || pid <= 1) continue;
    if (leadsItsGroup(pid)) killGroupQuietly(pid);
  }
}

function leadsItsGroup(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const pgrp = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2];
    return Number(pgrp) === pid;
  } catch {
    return false;
  }
}

/** `baton status SCORE --json`, parsed; undefined when there is no job to show (exit 2). */
interface StatusSheet {
  id: string;
  state: string;
  attempts: number;
  /** Runs cut short by a stop or a crash of baton: not among `attempts`. */
  interrupted: number;
  costUsd: number;
  lastError?: string;
  reason?: string;
}

export interface StatusDocument {
  job: string;
  jobId: string;
  state: string;
  outcome: string | null;
  running: { pid: number; host: string; since: number } | null;
  updatedAt: number;
  costUsd: number;
  counts: Record<string, number>;
  sheets: StatusSheet[];
}

export async function statusJson(score: string, options: { cwd?: string } = {}): Promise<{ exit: CliResult; status: StatusDocument | undefined }> {
  const exit = await baton(['status', score, '--json'], options);
  if (exit.code !== 0) return { exit, status: undefined };
  return { exit, status: JSON.parse(exit.stdout) as StatusDocument };
}
