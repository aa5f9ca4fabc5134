import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processStartTime } from '../../src/actors/process/identity.js';
import { CheckpointLockedError, MemoryStore, SqliteStore, type CheckpointStore } from '../../src/index.js';
import { isProcessAlive } from '../../src/store/lock.js';
import type { LockInfo } from '../../src/store/types.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { thrownBy } from '../support/thrown.js';
import { deadPid, jobRow, runChild, spawnChild } from './helpers.js';

const host = hostname();
let dir: string;
beforeEach(() => {
  dir = makeTempDir('baton-store-');
});
afterEach(() => removeDir(dir));

/** Two handles on one checkpoint, as two processes would have: two connections to one file for SQLite. */
const PAIRS: Array<[string, () => [CheckpointStore, CheckpointStore]]> = [
  [
    'MemoryStore',
    () => {
      const store = new MemoryStore();
      return [store, store.connect()];
    },
  ],
  [
    'SqliteStore',
    () => {
      const path = join(dir, 'baton.db');
      return [SqliteStore.open(path), SqliteStore.open(path)];
    },
  ],
];

const lockedError = (run: () => void): CheckpointLockedError => thrownBy(CheckpointLockedError, run, 'the lock was taken');

describe('isProcessAlive', () => {
  it('knows a live process from a gone one', async () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(process.ppid)).toBe(true);
    expect(isProcessAlive(await deadPid())).toBe(false);
    expect(isProcessAlive(0)).toBe(false);
    expect(isProcessAlive(-1)).toBe(false);
  });
});

describe.each(PAIRS)('%s lock', (_name, make) => {
  let first: CheckpointStore;
  let second: CheckpointStore;
  beforeEach(() => {
    [first, second] = make();
  });
  afterEach(() => {
    first.close();
    second.close();
  });

  it('refuses a second owner while the holder lives, naming the holder', () => {
    first.commit({ job: jobRow({ name: 'nightly' }), sheets: [], attempts: [] });
    const before = Date.now();
    // The test runner's parent: alive, and not us.
    first.acquireLock({ pid: process.ppid, host });
    const error = lockedError(() => second.acquireLock({ pid: process.pid, host }));
    expect(error.holder).toEqual({ pid: process.ppid, host, acquiredAt: expect.any(Number), pidStart: null });
    expect(error.holder.acquiredAt).toBeGreaterThanOrEqual(before);
    expect(error.path).toBe(first.location);
    expect(error.message).toBe(
      `job "nightly" in ${first.location} is already running in process ${process.ppid} on ${host} since ` +
        `${new Date(error.holder.acquiredAt).toISOString()}; stop it first, or wait for it`,
    );
    expect(second.lockHolder()).toEqual(error.holder);
  });

  it('takes over the lock of a process that is gone', async () => {
    const gone = await deadPid();
    first.acquireLock({ pid: gone, host });
    second.acquireLock({ pid: process.pid, host });
    expect(second.lockHolder()).toMatchObject({ pid: process.pid, host });
    // The old owner's release does not remove the new owner's lock.
    first.releaseLock();
    expect(second.lockHolder()).toMatchObject({ pid: process.pid, host });
    second.releaseLock();
    expect(first.lockHolder()).toBeUndefined();
  });

  it('lets the same process take its lock again', () => {
    first.acquireLock({ pid: process.pid, host });
    second.acquireLock({ pid: process.pid, host });
    expect(first.lockHolder()).toMatchObject({ pid: process.pid, host });
  });

  it('releases only its own lock', () => {
    first.acquireLock({ pid: process.ppid, host });
    expect(() => second.acquireLock({ pid: process.pid, host })).toThrow(CheckpointLockedError);
    // A handle that never got the lock has nothing to release.
    second.releaseLock();
    expect(first.lockHolder()).toMatchObject({ pid: process.ppid });
    first.releaseLock();
    expect(second.lockHolder()).toBeUndefined();
    second.acquireLock({ pid: process.pid, host });
    expect(first.lockHolder()).toMatchObject({ pid: process.pid });
  });

  it('refuses a holder on another host, whose liveness it cannot check, until the lock is broken', async () => {
    first.acquireLock({ pid: await deadPid(), host: 'build-42.example' });
    const error = lockedError(() => second.acquireLock({ pid: process.pid, host }));
    expect(error.holder.host).toBe('build-42.example');
    expect(error.message).toContain('on build-42.example');
    expect(error.message).toContain('cannot tell from this host');
    expect(error.message).toContain('break the lock');
    second.breakLock!();
    second.acquireLock({ pid: process.pid, host });
    expect(first.lockHolder()).toMatchObject({ pid: process.pid, host });
  });
});

describe('SqliteStore lock across processes', () => {
  it('refuses a second OS process while this one holds the lock', async () => {
    const path = join(dir, 'baton.db');
    const store = SqliteStore.open(path);
    store.commit({ job: jobRow({ name: 'overnight' }), sheets: [], attempts: [] });
    store.acquireLock({ pid: process.pid, host });

    const result = await runChild(['lock', path]);
    expect(result.stderr).toBe('');
    const answer = JSON.parse(result.stdout) as { ok: boolean; name: string; message: string; holder: LockInfo };
    expect(answer).toMatchObject({ ok: false, name: 'CheckpointLockedError', holder: { pid: process.pid, host } });
    expect(answer.message).toContain(`job "overnight" in ${path} is already running in process ${process.pid} on ${host}`);

    // Once released, the other process gets it.
    store.releaseLock();
    const next = JSON.parse((await runChild(['lock', path])).stdout) as { ok: boolean };
    expect(next.ok).toBe(true);
    store.close();
  });

  it('takes over from a process killed with SIGKILL, keeping what it committed', async () => {
    const path = join(dir, 'baton.db');
    const child = spawnChild(['hold', path]);
    await new Promise<void>((held, fail) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && held());
      child.on('error', fail);
      child.on('exit', (code) => fail(new Error(`child exited with ${code}`)));
    });
    const store = SqliteStore.open(path, { create: false });
    expect(() => store.acquireLock({ pid: process.pid, host })).toThrow(CheckpointLockedError);

    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
    store.acquireLock({ pid: process.pid, host });
    expect(store.lockHolder()).toMatchObject({ pid: process.pid, host });
    expect(store.loadJob()?.name).toBe('held-job');
    expect(store.loadSheets().map((s) => s.id)).toEqual(['a']);
    store.releaseLock();
    store.close();
  });
});

describe('a lock whose pid was recycled', () => {
  it('is taken over when the holder pid now names another process (its start time differs)', () => {
    const store = new MemoryStore();
    const host = hostname();
    // The parent process is alive, but it is not the process that took this lock.
    store.acquireLock({ pid: process.ppid, host, pidStart: 'a start time from before a reboot' });
    const other = store.connect();
    expect(() => other.acquireLock({ pid: process.pid, host })).not.toThrow();
    expect(other.lockHolder()?.pid).toBe(process.pid);
  });

  it('is refused while the holder is the very process recorded', () => {
    const store = new MemoryStore();
    const host = hostname();
    store.acquireLock({ pid: process.ppid, host, pidStart: processStartTime(process.ppid) });
    expect(() => store.connect().acquireLock({ pid: process.pid, host })).toThrow(CheckpointLockedError);
  });
});
