import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import {
  sheetMachine,
  type AttemptRow,
  type JobRow,
  type SheetContext,
  type SheetEvent,
  type SheetInput,
  type SheetRow,
  type SheetState,
} from '../../src/index.js';
import { startMachine } from '../support/machines.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHILD = resolve(import.meta.dirname, 'fixtures/store-child.ts');

const input: SheetInput = {
  maxAttempts: 3,
  completionAttempts: 2,
  heal: true,
  escalate: false,
  fallbacks: 1,
  backoff: { initialMs: 1000, factor: 2, maxMs: 60_000, jitter: 0.1 },
};

const run: SheetEvent[] = [{ type: 'DEPS_MET' }, { type: 'DISPATCH' }, { type: 'STARTED' }];
const fail = (at: number): SheetEvent => ({ type: 'FAILED', reason: 'timeout', error: 'timed out after 30s', at, random: 0.25 });

/** Events (and input tweaks) that bring a sheet machine to each state. */
const PATHS: Record<SheetState, { over?: Partial<SheetInput>; events: SheetEvent[] }> = {
  pending: { events: [] },
  ready: { events: [{ type: 'DEPS_MET' }] },
  dispatched: { events: [{ type: 'DEPS_MET' }, { type: 'DISPATCH' }] },
  running: { events: run },
  waiting: { events: [...run, { type: 'RATE_LIMITED', waitMs: 30_000, at: 1_700_000_000_000, maxLimitedRuns: 100 }] },
  retry: { events: [...run, fail(1_700_000_000_000)] },
  completion: { events: [...run, { type: 'SUCCEEDED', passRate: 0.5, at: 1_700_000_000_000, random: 0.5 }] },
  fermata: { over: { maxAttempts: 1, fallbacks: 0, heal: false, escalate: true }, events: [...run, fail(5)] },
  completed: { events: [...run, { type: 'SUCCEEDED', passRate: 1, at: 7, random: 0.5 }] },
  failed: { over: { maxAttempts: 1, fallbacks: 0, heal: false }, events: [...run, fail(9)] },
  skipped: { events: [{ type: 'DEPENDENCY_FAILED', policy: 'skip' }] },
  cancelled: { events: [...run, { type: 'CANCEL' }] },
};

/** A real sheet machine's context in `state`. */
export function contextIn(state: SheetState): SheetContext {
  const path = PATHS[state];
  const { actor, send } = startMachine(sheetMachine, { ...input, ...path.over });
  const snapshot = send(...path.events);
  actor.stop();
  if (snapshot.value !== state) throw new Error(`drove the sheet to ${String(snapshot.value)}, not ${state}`);
  return snapshot.context;
}

export function sheetRow(id: string, over: Partial<SheetRow> = {}): SheetRow {
  return {
    id,
    state: 'pending',
    dispatches: 0,
    rateLimited: 0,
    interrupted: 0,
    attempts: 0,
    instrumentIndex: 0,
    lastError: null,
    reason: null,
    skippedByDecision: false,
    costUsd: 0,
    firstDispatchAt: null,
    endedAt: null,
    outputFile: null,
    output: null,
    context: null,
    updatedAt: 1,
    ...over,
  };
}

export function attemptRow(sheetId: string, number: number, over: Partial<AttemptRow> = {}): AttemptRow {
  return {
    sheetId,
    number,
    mode: 'normal',
    instrument: 'claude',
    model: null,
    startedAt: 1_700_000_000_000 + number,
    endedAt: null,
    status: 'running',
    exitCode: null,
    signal: null,
    error: null,
    reason: null,
    costUsd: null,
    stdoutFile: null,
    stderrFile: null,
    pid: null,
    pidStart: null,
    ...over,
  };
}

export function jobRow(over: Partial<JobRow> = {}): JobRow {
  return {
    jobId: 'job-1',
    name: 'nightly-refactor',
    fingerprint: {
      stages: [
        { id: 'plan', fanOut: null, dependsOn: [] },
        { id: 'edit', fanOut: 3, dependsOn: [{ stage: 'plan', member: null }] },
        { id: 'review', fanOut: null, dependsOn: [{ stage: 'edit', member: 2 }] },
      ],
    },
    state: 'running',
    pauseReasons: [],
    budgetUsd: 25.5,
    outcome: null,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_500,
    ...over,
  };
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the store fixture in a separate Node process (through tsx), to completion. */
export function runChild(args: string[]): Promise<ChildResult> {
  return new Promise((done, fail) => {
    const child = spawnChild(args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

export function spawnChild(args: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The pid of a process that has exited (and so is free, for a while, on this host). */
export function deadPid(): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.on('error', fail);
    child.on('exit', () => done(child.pid!));
  });
}
