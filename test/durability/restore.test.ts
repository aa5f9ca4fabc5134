/**
 * `Conductor.restore` in virtual time. A "crash" abandons the first conductor together
 * with its clock: nothing of it runs again, as after kill -9, and what it left is what its
 * store holds. A second conductor then restores from that store (a second handle, as a
 * new process would open).
 */
import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  CheckpointEmptyError,
  CheckpointLockedError,
  CheckpointNotEmptyError,
  Conductor,
  IncompatibleCheckpointError,
  MemoryStore,
  SqliteStore,
  VirtualClock,
  type AttemptRequest,
  type CheckpointStore,
  type ConductorOptions,
  type Score,
} from '../../src/index.js';
import { spawnChild } from '../store/helpers.js';
import { buildScore, type ScoreDraft } from '../support/build-score.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { thrownBy } from '../support/thrown.js';
import { fail, ok, runToEnd, settle, SimInstrument, type Behaviour } from '../support/virtual-run.js';

const host = hostname();
const workspace = makeTempDir('baton-restore-');
afterAll(() => removeDir(workspace));

function score(draft: ScoreDraft): Score {
  return buildScore({ workspace, ...draft });
}

/** Advances virtual time to `time`, letting every turn settle on the way. */
async function runUntil(clock: VirtualClock, time: number): Promise<void> {
  for (;;) {
    await settle();
    const due = clock.nextDue();
    if (due === undefined || due > time) break;
    clock.advanceTo(due);
  }
  clock.advanceTo(time);
  await settle();
}

const always =
  (outcome: Behaviour['outcome'], durationMs = 100) =>
  (): Behaviour => ({ durationMs, outcome });

/** A conductor on its own virtual clock, with a SimInstrument `fn` (or others) on that clock. */
function world(start = 0, options: ConductorOptions = {}) {
  const clock = new VirtualClock(start);
  const conductor = new Conductor({ clock, random: () => 0.5, ...options });
  const sim = (name: string, behave: (r: AttemptRequest) => Behaviour) => new SimInstrument(name, clock, behave);
  return { clock, conductor, sim };
}

/** Registers a job with a fresh store and runs it in virtual time up to `until`; then it is abandoned. */
async function crashedRun(s: Score, behave: (r: AttemptRequest) => Behaviour, until: number) {
  const store = new MemoryStore();
  const first = world();
  const fn = first.sim('fn', behave);
  const jobId = first.conductor.register(s, { instruments: { fn }, store });
  await runUntil(first.clock, until);
  return { store, jobId, fn, clock: first.clock, conductor: first.conductor };
}

function rowOf(store: CheckpointStore, id: string) {
  const row = store.loadSheets().find((r) => r.id === id);
  if (row === undefined) throw new Error(`no row for ${id}`);
  return row;
}

function states(sheets: Array<{ id: string; state: string }>): Record<string, string> {
  return Object.fromEntries(sheets.map((s) => [s.id, s.state]));
}

/**
 * What `restore` makes of the checkpoint before anything is dispatched: a conductor that
 * may dispatch nothing restores it, reports, and shuts down (which changes nothing).
 */
async function restoredView(s: Score, store: MemoryStore, at: number) {
  const { conductor } = world(at, { maxConcurrent: 0 });
  const jobId = conductor.restore(s, { instruments: { fn: () => ({ ok: true }) }, store: store.connect() });
  const status = conductor.status(jobId);
  await conductor.shutdown();
  return status;
}

describe('restore: what each sheet comes back as', () => {
  it('keeps completed sheets completed and never runs them again', async () => {
    const s = score({ stages: [{ id: 'a' }, { id: 'b', deps: ['a'] }, { id: 'c', deps: ['b'] }] });
    const crashed = await crashedRun(s, always(ok), 150);
    expect(states(crashed.conductor.status(crashed.jobId).sheets)).toEqual({ a: 'completed', b: 'running', c: 'pending' });

    const next = world(crashed.clock.now());
    const fn = next.sim('fn', always(ok));
    const jobId = next.conductor.restore(s, { instruments: { fn }, store: crashed.store.connect() });
    expect(jobId).toBe(crashed.jobId);
    const result = await runToEnd(next.conductor, next.clock, jobId);

    expect(result.outcome).toBe('completed');
    expect(fn.starts.map((r) => r.sheetId)).toEqual(['b', 'c']);
    // b's run cut by the crash is counted apart: it used none of b's attempts.
    expect(result.sheets.map((r) => [r.id, r.state, r.attempts, r.interrupted])).toEqual([
      ['a', 'completed', 1, 0],
      ['b', 'completed', 1, 1],
      ['c', 'completed', 1, 0],
    ]);
    await next.conductor.shutdown();
  });

  it('returns dispatched and running sheets to ready, keeping their attempt counts', async () => {
    // Attempt 1 fails at 10; attempt 2 starts at 1010 and is running at the crash.
    const s = score({ stages: [{ id: 'a', retries: 1, backoff: { initialMs: 1000, jitter: 0 } }] });
    let calls = 0;
    const crashed = await crashedRun(s, () => ({ durationMs: ++calls === 1 ? 10 : 10_000, outcome: fail('boom') }), 1500);
    expect(crashed.fn.starts.map((r) => r.at)).toEqual([0, 1010]);
    expect(rowOf(crashed.store, 'a')).toMatchObject({ state: 'running', attempts: 1, dispatches: 2 });

    expect((await restoredView(s, crashed.store, 1500)).sheets[0]).toMatchObject({ id: 'a', state: 'ready', attempts: 1, interrupted: 1 });
    expect(rowOf(crashed.store, 'a')).toMatchObject({ state: 'ready', attempts: 1, dispatches: 2, interrupted: 1 });

    // One normal attempt was used of two: exactly one more runs, still numbered 2.
    const next = world(1500);
    const fn = next.sim('fn', always(fail('still broken'), 10));
    const jobId = next.conductor.restore(s, { instruments: { fn }, store: crashed.store.connect() });
    const result = await runToEnd(next.conductor, next.clock, jobId);
    expect(fn.starts.map((r) => [r.sheetId, r.attempt])).toEqual([['a', 2]]);
    expect(result.outcome).toBe('failed');
    expect(result.sheets[0]).toMatchObject({ state: 'failed', attempts: 2, interrupted: 1, lastError: 'still broken' });
    await next.conductor.shutdown();
  });

  it('records the attempts that were running at the crash as interrupted, ended at the last checkpoint write, without counting them', async () => {
    const s = score({ concurrency: 2, stages: [{ id: 'a', retries: 0 }, { id: 'b' }] });
    // b completes at 300, the last write before the crash at 500; a runs on past it.
    const crashed = await crashedRun(s, (r) => ({ durationMs: r.sheetId === 'a' ? 10_000 : 300, outcome: ok }), 500);
    expect(crashed.store.loadAttempts('a')).toMatchObject([{ number: 1, status: 'running', endedAt: null }]);

    const next = world(800);
    const fn = next.sim('fn', always(ok, 10));
    const jobId = next.conductor.restore(s, { instruments: { fn }, store: crashed.store.connect() });
    const result = await runToEnd(next.conductor, next.clock, jobId);
    // retries 0: had the interrupted attempt counted, the sheet would have no attempt left.
    expect(result.sheets[0]).toMatchObject({ state: 'completed', attempts: 1, interrupted: 1 });
    const attempts = crashed.store.loadAttempts('a');
    // Not at the resume (800): nothing shows the dead conductor alive after its write at 300.
    expect(attempts.map((r) => [r.number, r.status, r.endedAt, r.reason])).toEqual([
      [1, 'interrupted', 300, null],
      [2, 'success', 810, null],
    ]);
    expect(attempts[0]!.error).toMatch(/^interrupted: baton ended without recording/);
    expect(rowOf(crashed.store, 'a')).toMatchObject({ dispatches: 2, interrupted: 1 });
    await next.conductor.shutdown();
  });

  it('records an interrupted attempt with its own error, not the previous attempt\'s', async () => {
    const s = score({ stages: [{ id: 'a', retries: 2, backoff: { initialMs: 1000, jitter: 0 } }] });
    let calls = 0;
    const crashed = await crashedRun(s, () => ({ durationMs: ++calls === 1 ? 10 : 10_000, outcome: fail('boom') }), 1500);
    expect(crashed.store.loadAttempts('a').map((r) => r.status)).toEqual(['failure', 'running']);

    const next = world(1500);
    const fn = next.sim('fn', always(ok, 10));
    const jobId = next.conductor.restore(s, { instruments: { fn }, store: crashed.store.connect() });
    await runToEnd(next.conductor, next.clock, jobId);
    const second = crashed.store.loadAttempts('a')[1]!;
    expect(second.status).toBe('interrupted');
    expect(second.error).toMatch(/interrupted/);
    await next.conductor.shutdown();
  });

  it('runs a sheet in retry at its stored deadline: not earlier, not reset', async () => {
    // Fails at 10: the retry is due at 10 + 1000.
    const s = score({ stages: [{ id: 'a', retries: 2, backoff: { initialMs: 1000, factor: 2, jitter: 0 } }] });
    const crashed = await crashedRun(s, always(fail(), 10), 500);
    const row = rowOf(crashed.store, 'a');
    expect(row.state).toBe('retry');
    expect(row.context?.retryAt).toBe(1010);

    const next = world(700);
    const fn = next.sim('fn', always(ok, 10));
    const jobId = next.conductor.restore(s, { instruments: { fn }, store: crashed.store.connect() });
    expect(next.conductor.status(jobId).sheets[0]!.state).toBe('retry');
    const result = await runToEnd(next.conductor, next.clock, jobId);
    expect(fn.starts).toEqual([expect.objectContaining({ sheetId: 'a', attempt: 2, at: 1010 })]);
    expect(result.sheets[0]).toMatchObject({ state: 'completed', attempts: 2 });
    await next.conductor.shutdown();
  });

  it('runs a sheet whose retry fell due while nothing ran as soon as it is restored', async () => {
    const s = score({ stages: [{ id: 'a', retries: 2, backoff: { initialMs: 1000, jitter: 0 } }] });
    const crashed = await crashedRun(s, always(fail(), 10), 500);

    const next = world(60_000);
    const fn = next.sim('fn', always(ok, 10));
    const jobId = next.conductor.restore(s, { instruments: { fn }, store: crashed.store.connect() });
    await runToEnd(next.conductor, next.clock, jobId);
    expect(fn.starts).toEqual([expect.objectContaining({ sheetId: 'a', attempt: 2, at: 60_000 })]);
    await next.conductor.shutdown();
  });

  it('resumes a rate-limited sheet at its waitUntil, without counting the limited attempt', async () => {
    const s = score({ stages: [{ id: 'a', retries: 0 }] });
    const store = new MemoryStore();
    const first = world();
    const limited = () => ({ ok: false, rate_limited_s: 30 });
    const jobId = first.conductor.register(s, { instruments: { fn: limited }, store });
    await runUntil(first.clock, 10_000);
    const row = rowOf(store, 'a');
    expect(row.state).toBe('waiting');
    expect(row.context?.waitUntil).toBe(30_000);

    const next = world(10_000);
    const calls: number[] = [];
    const fn = () => {
      calls.push(next.clock.now());
      return { ok: true };
    };
    expect(next.conductor.restore(s, { instruments: { fn }, store: store.connect() })).toBe(jobId);
    expect(next.conductor.status(jobId).sheets[0]!.state).toBe('waiting');
    const result = await runToEnd(next.conductor, next.clock, jobId);
    expect(calls).toEqual([30_000]);
    // retries 0, yet it ran after the limit: the rate-limited attempt consumed nothing.
    expect(result.sheets[0]).toMatchObject({ state: 'completed', attempts: 1, rateLimited: 1 });
    await next.conductor.shutdown();
  });

  it('keeps an open fermata open, and a decision continues the restored job', async () => {
    const s = score({ stages: [{ id: 'ask', escalate: true }, { id: 'next', deps: ['ask'] }] });
    const store = new MemoryStore();
    const first = world();
    const fn1 = first.sim('fn', (r) => ({ durationMs: 5, outcome: r.sheetId === 'ask' ? fail('unsure') : ok }));
    const jobId = first.conductor.register(s, { instruments: { fn: fn1 }, store });
    expect((await runToEnd(first.conductor, first.clock, jobId)).outcome).toBe('held');

    const next = world(first.clock.now() + 3_600_000);
    const fn = next.sim('fn', always(ok, 5));
    next.conductor.restore(s, { instruments: { fn }, store: store.connect() });
    const held = await next.conductor.waitForCompletion(jobId);
    expect(held.outcome).toBe('held');
    expect(held.sheets.map((r) => [r.id, r.state, r.lastError])).toEqual([
      ['ask', 'fermata', 'unsure'],
      ['next', 'pending', undefined],
    ]);
    expect(fn.starts).toEqual([]);

    next.conductor.decide(jobId, 'ask', 'retry');
    const result = await runToEnd(next.conductor, next.clock, jobId);
    expect(result.outcome).toBe('completed');
    expect(fn.starts.map((r) => r.sheetId)).toEqual(['ask', 'next']);
    await next.conductor.shutdown();
  });

  it('brings a sheet that was on its fallback instrument back to the primary', async () => {
    const s = score({
      instruments: { primary: { fallback: ['backup'] }, backup: {} },
      stages: [{ id: 'a', instrument: 'primary', retries: 0 }],
    });
    const store = new MemoryStore();
    const first = world();
    const primary1 = first.sim('primary', always(fail(), 10));
    const backup1 = first.sim('backup', always(ok, 10_000));
    const jobId = first.conductor.register(s, { instruments: { primary: primary1, backup: backup1 }, store });
    await runUntil(first.clock, 500);
    expect(backup1.starts.map((r) => r.sheetId)).toEqual(['a']);
    expect(rowOf(store, 'a')).toMatchObject({ state: 'running', instrumentIndex: 1 });

    const next = world(500);
    const primary = next.sim('primary', always(ok, 10));
    const backup = next.sim('backup', always(ok, 10));
    next.conductor.restore(s, { instruments: { primary, backup }, store: store.connect() });
    const result = await runToEnd(next.conductor, next.clock, jobId);
    expect(primary.starts.map((r) => r.sheetId)).toEqual(['a']);
    expect(backup.starts).toEqual([]);
    expect(result.sheets[0]).toMatchObject({ state: 'completed', instrument: 'primary' });
    await next.conductor.shutdown();
  });

  it('keeps the instrument a sheet completed on, when that was a fallback', async () => {
    const s = score({
      instruments: { primary: { fallback: ['backup'] }, backup: {} },
      stages: [{ id: 'a', instrument: 'primary', retries: 0 }, { id: 'slow', instrument: 'backup' }],
    });
    const store = new MemoryStore();
    const first = world();
    const primary1 = first.sim('primary', always(fail(), 10));
    const backup1 = first.sim('backup', (r) => ({ durationMs: r.sheetId === 'slow' ? 10_000 : 10, outcome: ok }));
    const jobId = first.conductor.register(s, { instruments: { primary: primary1, backup: backup1 }, store });
    await runUntil(first.clock, 500);
    expect(first.conductor.status(jobId).sheets[0]).toMatchObject({ id: 'a', state: 'completed', instrument: 'backup' });
    expect(rowOf(store, 'a')).toMatchObject({ state: 'completed', instrumentIndex: 1 });

    const next = world(500);
    const primary = next.sim('primary', always(ok, 10));
    const backup = next.sim('backup', always(ok, 10));
    next.conductor.restore(s, { instruments: { primary, backup }, store: store.connect() });
    try {
      expect(rowOf(store, 'a')).toMatchObject({ state: 'completed', instrumentIndex: 1 });
      expect(next.conductor.status(jobId).sheets[0]).toMatchObject({ id: 'a', state: 'completed', instrument: 'backup' });
    } finally {
      await next.conductor.shutdown();
    }
  });

  it('continues after shutdown() stopped attempts: they run again, completed sheets do not', async () => {
    const s = score({ concurrency: 2, stages: [{ id: 'w', fanOut: 4 }] });
    const store = new MemoryStore();
    const { clock, conductor, sim } = world();
    const fn1 = sim('fn', always(ok, 100));
    const jobId = conductor.register(s, { instruments: { fn: fn1 }, store });
    await runUntil(clock, 150);
    const done = conductor.waitForCompletion(jobId);
    await conductor.shutdown();
    expect((await done).outcome).toBe('interrupted');
    expect(store.lockHolder()).toBeUndefined();
    expect(store.loadJob()?.outcome).toBe('interrupted');
    expect(states(store.loadSheets())).toEqual({ 'w.1': 'completed', 'w.2': 'completed', 'w.3': 'running', 'w.4': 'running' });
    // The stop ended them at 150, without a result: neither failed nor left running.
    expect(store.loadAttempts().filter((r) => r.sheetId === 'w.3' || r.sheetId === 'w.4').map((r) => [r.sheetId, r.status, r.endedAt])).toEqual([
      ['w.3', 'interrupted', 150],
      ['w.4', 'interrupted', 150],
    ]);
    expect(store.loadAttempts('w.3')[0]!.error).toMatch(/^interrupted: baton stopped/);

    // Same clock, same store handle: a restart inside one process.
    const again = new Conductor({ clock });
    const fn = new SimInstrument('fn', clock, always(ok, 100));
    again.restore(s, { instruments: { fn }, store });
    const result = await runToEnd(again, clock, jobId);
    expect(result.outcome).toBe('completed');
    expect(fn.starts.map((r) => r.sheetId).sort()).toEqual(['w.3', 'w.4']);
    expect(fn.starts.map((r) => [r.sheetId, r.attempt]).sort()).toEqual([
      ['w.3', 1],
      ['w.4', 1],
    ]);
    expect(result.sheets.find((r) => r.id === 'w.3')).toMatchObject({ attempts: 1, interrupted: 1 });
    expect(store.loadJob()?.outcome).toBe('completed');
    await again.shutdown();
  });
});

describe('restore: the job itself', () => {
  it('a cancelled job stays cancelled when restored', async () => {
    const s = score({ stages: [{ id: 'a' }, { id: 'b', deps: ['a'] }] });
    const store = new MemoryStore();
    const first = world();
    const jobId = first.conductor.register(s, { instruments: { fn: first.sim('fn', always(ok)) }, store });
    await settle();
    first.conductor.cancel(jobId);
    expect((await first.conductor.waitForCompletion(jobId)).outcome).toBe('cancelled');
    await first.conductor.shutdown();
    expect(store.loadJob()).toMatchObject({ state: 'cancelled', outcome: 'cancelled' });

    const next = world();
    next.conductor.restore(s, { instruments: { fn: next.sim('fn', always(ok)) }, store: store.connect() });
    try {
      expect((await next.conductor.waitForCompletion(jobId)).outcome).toBe('cancelled');
      expect(store.loadJob()).toMatchObject({ state: 'cancelled', outcome: 'cancelled' });
    } finally {
      await next.conductor.shutdown();
    }
  });
});

describe('restore: a score that changed since the checkpoint', () => {
  const original = score({ stages: [{ id: 'a' }, { id: 'b', deps: ['a'] }, { id: 'c', deps: ['b'] }] });

  async function crashedOriginal() {
    return crashedRun(original, always(ok, 100), 150);
  }

  const refusal = (run: () => unknown): IncompatibleCheckpointError =>
    thrownBy(IncompatibleCheckpointError, run, 'the restore was not refused');

  it('refuses a score that lost a sheet, naming it, and leaves the checkpoint as it was', async () => {
    const crashed = await crashedOriginal();
    const before = crashed.store.loadSheets();
    const shrunk = score({ stages: [{ id: 'a' }, { id: 'b', deps: ['a'] }] });
    const { conductor, sim } = world(150);
    const fn = sim('fn', always(ok, 10));
    const error = refusal(() => conductor.restore(shrunk, { instruments: { fn }, store: crashed.store.connect() }));
    expect(error.message).toContain('"c"');
    expect(error.message).toMatch(/removed/);
    expect(error.message).toContain('--force');
    expect(crashed.store.loadSheets()).toEqual(before);
    expect(fn.starts).toEqual([]);
    await conductor.shutdown();
  });

  it('refuses a score whose sheet has other dependencies, naming the sheet', async () => {
    const crashed = await crashedOriginal();
    const rewired = score({ stages: [{ id: 'a' }, { id: 'b', deps: ['a'] }, { id: 'c', deps: ['a'] }] });
    const { conductor, sim } = world(150);
    const error = refusal(() => conductor.restore(rewired, { instruments: { fn: sim('fn', always(ok)) }, store: crashed.store.connect() }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain('"c"');
    expect(error.problems[0]).toMatch(/dependencies/);
    await conductor.shutdown();
  });

  it('with force, continues with the score as it is now', async () => {
    const crashed = await crashedOriginal();
    const shrunk = score({ stages: [{ id: 'a' }, { id: 'b', deps: ['a'] }] });
    const { clock, conductor, sim } = world(150);
    const fn = sim('fn', always(ok, 10));
    const jobId = conductor.restore(shrunk, { instruments: { fn }, store: crashed.store.connect(), force: true });
    const result = await runToEnd(conductor, clock, jobId);
    expect(result.outcome).toBe('completed');
    expect(fn.starts.map((r) => r.sheetId)).toEqual(['b']);
    expect(result.sheets.map((r) => r.id)).toEqual(['a', 'b']);
    await conductor.shutdown();
  });

  it('with force, runs a rewired sheet once its new dependencies are met', async () => {
    const crashed = await crashedOriginal();
    const rewired = score({ stages: [{ id: 'a' }, { id: 'b', deps: ['a'] }, { id: 'c', deps: ['a'] }] });
    const { clock, conductor, sim } = world(150);
    const fn = sim('fn', always(ok, 10));
    const jobId = conductor.restore(rewired, { instruments: { fn }, store: crashed.store.connect(), force: true });
    const result = await runToEnd(conductor, clock, jobId);
    expect(result.outcome).toBe('completed');
    expect(fn.starts.map((r) => r.sheetId).sort()).toEqual(['b', 'c']);
    await conductor.shutdown();
  });

  it('runs a sheet added to the score since, without force', async () => {
    const crashed = await crashedOriginal();
    const grown = score({
      stages: [{ id: 'a' }, { id: 'b', deps: ['a'] }, { id: 'c', deps: ['b'] }, { id: 'extra', deps: ['a'] }],
    });
    const { clock, conductor, sim } = world(150);
    const fn = sim('fn', always(ok, 10));
    const jobId = conductor.restore(grown, { instruments: { fn }, store: crashed.store.connect() });
    const result = await runToEnd(conductor, clock, jobId);
    expect(result.outcome).toBe('completed');
    expect(fn.starts.map((r) => r.sheetId).sort()).toEqual(['b', 'c', 'extra']);
    expect(crashed.store.loadSheets().map((r) => [r.id, r.state])).toContainEqual(['extra', 'completed']);
    await conductor.shutdown();
  });
});

describe('restore and register: which store they accept', () => {
  const s = score({ stages: [{ id: 'a' }] });

  it('register refuses a store that already holds a job', async () => {
    const crashed = await crashedRun(s, always(ok, 100), 50);
    const { conductor, sim } = world();
    const fn = sim('fn', always(ok));
    expect(() => conductor.register(s, { instruments: { fn }, store: crashed.store.connect() })).toThrow(CheckpointNotEmptyError);
    expect(conductor.jobIds()).toEqual([]);
    expect(fn.starts).toEqual([]);
    await conductor.shutdown();
  });

  it('restore refuses an empty store', async () => {
    const { conductor } = world();
    const store = new MemoryStore();
    expect(() => conductor.restore(s, { instruments: { fn: () => ({ ok: true }) }, store })).toThrow(CheckpointEmptyError);
    expect(store.lockHolder()).toBeUndefined();
    await conductor.shutdown();
  });
});

describe('the job lock', () => {
  const s = score({ stages: [{ id: 'a' }, { id: 'b', deps: ['a'] }] });
  const children: ChildProcess[] = [];
  let dir: string | undefined;
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    if (dir !== undefined) removeDir(dir);
    dir = undefined;
  });

  it('is held by the running conductor under its pid and released at shutdown', async () => {
    const store = new MemoryStore();
    const { clock, conductor, sim } = world();
    const jobId = conductor.register(s, { instruments: { fn: sim('fn', always(ok)) }, store });
    expect(store.lockHolder()).toMatchObject({ pid: process.pid, host });
    await runToEnd(conductor, clock, jobId);
    expect(store.lockHolder()).toMatchObject({ pid: process.pid, host });
    await conductor.shutdown();
    expect(store.lockHolder()).toBeUndefined();
  });

  it('keeps a second conductor out while another live process holds it', async () => {
    const crashed = await crashedRun(s, always(ok, 100), 50);
    // Another process (alive: the test runner's parent) holds the lock now.
    crashed.store.breakLock();
    crashed.store.acquireLock({ pid: process.ppid, host });

    const { conductor, sim } = world(50);
    const fn = sim('fn', always(ok));
    const error = (() => {
      try {
        conductor.restore(s, { instruments: { fn }, store: crashed.store.connect() });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CheckpointLockedError);
    expect((error as Error).message).toContain(`already running in process ${process.ppid}`);
    expect(fn.starts).toEqual([]);
    expect(crashed.store.lockHolder()?.pid).toBe(process.ppid);

    const empty = new MemoryStore();
    empty.acquireLock({ pid: process.ppid, host });
    expect(() => conductor.register(s, { instruments: { fn }, store: empty.connect() })).toThrow(CheckpointLockedError);
    expect(empty.loadJob()).toBeUndefined();
    await conductor.shutdown();
  });

  it('refuses while another OS process holds the file, and takes over once it was killed', async () => {
    dir = makeTempDir('baton-restore-');
    const path = join(dir, 'baton.db');
    // The fixture's job has the shape of this score (plan → edit ×3 → review on edit.2).
    const held = score({ stages: [{ id: 'plan' }, { id: 'edit', fanOut: 3, deps: ['plan'] }, { id: 'review', deps: ['edit.2'] }] });
    const child = spawnChild(['hold', path]);
    children.push(child);
    await new Promise<void>((ready, failed) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && ready());
      child.on('error', failed);
      child.on('exit', (code) => failed(new Error(`store-child exited with ${code}`)));
    });

    const { clock, conductor, sim } = world();
    const fn = sim('fn', always(ok, 10));
    const store = SqliteStore.open(path, { create: false });
    expect(() => conductor.restore(held, { instruments: { fn }, store })).toThrow(
      new RegExp(`already running in process ${child.pid} on `),
    );
    expect(fn.starts).toEqual([]);

    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
    const jobId = conductor.restore(held, { instruments: { fn }, store });
    expect(store.lockHolder()).toMatchObject({ pid: process.pid, host });
    const result = await runToEnd(conductor, clock, jobId);
    expect(result.outcome).toBe('completed');
    expect(fn.starts).toHaveLength(5);
    await conductor.shutdown();
    expect(store.lockHolder()).toBeUndefined();
    store.close();
  });
});
