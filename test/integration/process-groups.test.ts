/**
 * Integration: real subprocesses under the real Conductor (real clock). A sheet's attempt runs
 * in its own process group; a timeout, a cancel and a shutdown must each leave nothing of that
 * group alive, grandchildren included.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sharedSpawnerPool } from '../../src/actors/spawner/pool.js';
import { ConductorClosedError, defineScore, type BatonEvent, type Conductor } from '../../src/index.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { byId, expectGroupGone, flushEvents, killGroupQuietly, readPgid, startConductor } from './helpers.js';

/** Starts two grandchildren that would outlive any test, records the group id and their pids, then waits. */
const spawnSleepers = (name: string): string =>
  `sleep 300 & echo $! >> {{workspace}}/${name}.pids; sleep 300 & echo $! >> {{workspace}}/${name}.pids; ` +
  `echo $$ > {{workspace}}/${name}.pgid; wait`;

let dir: string;
let conductor: Conductor;
let events: BatonEvent[];
/** Groups a test started: SIGKILLed in afterEach whatever happened, so no test leaks `sleep 300`. */
const groups: number[] = [];

// The helper that starts attempts loads slowly from the TypeScript sources (a quarter of a
// second, more on a loaded machine): started before the first test, so that the short
// attempt timeouts below measure the attempts, not the helper's start.
beforeAll(() => sharedSpawnerPool().warm());

beforeEach(() => {
  dir = makeTempDir('baton-it-');
  ({ conductor, events } = startConductor());
});

afterEach(async () => {
  await conductor.shutdown();
  for (const pgid of groups.splice(0)) killGroupQuietly(pgid);
  removeDir(dir);
});

async function pgidOf(name: string): Promise<number> {
  const pgid = await readPgid(join(dir, `${name}.pgid`));
  groups.push(pgid);
  return pgid;
}

function pidsOf(name: string): number[] {
  return readFileSync(join(dir, `${name}.pids`), 'utf8').trim().split('\n').map(Number);
}

function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

describe('integration: process groups', () => {
  it('a timeout fails the sheet with reason timeout and kills the whole group, grandchildren included', async () => {
    const score = defineScore({
      version: 1,
      name: 'timeout',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'] } },
      sheets: [{ id: 'slow', args: [spawnSleepers('slow')], timeout: '500ms', retries: 0 }],
    });
    const id = conductor.register(score);
    const pgid = await pgidOf('slow');

    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('failed');
    expect(result.sheets).toEqual([
      expect.objectContaining({ id: 'slow', state: 'failed', reason: 'timeout', attempts: 1 }),
    ]);
    expect(result.sheets[0]!.lastError).toMatch(/timed out/);
    const grandchildren = pidsOf('slow');
    expect(grandchildren).toHaveLength(2);
    expect(grandchildren.filter(isRunning)).toEqual([]);
    await expectGroupGone(pgid);
  });

  it('a group that ignores SIGTERM is SIGKILLed after the grace period on timeout', async () => {
    const score = defineScore({
      version: 1,
      name: 'stubborn',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'] } },
      // SIG_IGN is inherited across exec: the leader and both sleeps ignore SIGTERM.
      sheets: [{ id: 'stubborn', args: [`trap '' TERM; ${spawnSleepers('stubborn')}`], timeout: '300ms', retries: 0 }],
    });
    const id = conductor.register(score);
    const pgid = await pgidOf('stubborn');

    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('failed');
    expect(result.sheets[0]).toMatchObject({ state: 'failed', reason: 'timeout' });
    expect(pidsOf('stubborn').filter(isRunning)).toEqual([]);
    await expectGroupGone(pgid);
  });

  it('a timeout kills grandchildren that ignore SIGTERM even when the leader exits at once', async () => {
    const score = defineScore({
      version: 1,
      name: 'orphans',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'] } },
      // Only the grandchildren ignore SIGTERM: the leader dies on it and leaves them behind.
      sheets: [{ id: 'orphans', args: [`(trap '' TERM; ${spawnSleepers('orphans')}) & wait`], timeout: '300ms', retries: 0 }],
    });
    const id = conductor.register(score);
    const pgid = await pgidOf('orphans');

    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('failed');
    expect(result.sheets[0]).toMatchObject({ state: 'failed', reason: 'timeout' });
    expect(pidsOf('orphans').filter(isRunning)).toEqual([]);
    await expectGroupGone(pgid);
  });

  it('cancel(jobId) kills the running groups, cancels every sheet and resolves cancelled', async () => {
    const score = defineScore({
      version: 1,
      name: 'cancel',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'] } },
      defaults: { retries: 2 },
      sheets: [
        { id: 'a', args: [spawnSleepers('a')] },
        { id: 'b', args: [spawnSleepers('b')] },
        { id: 'after', depends_on: ['a', 'b'], args: ['echo should not run > {{workspace}}/after.ran'] },
      ],
    });
    const id = conductor.register(score);
    const pgids = [await pgidOf('a'), await pgidOf('b')];
    await waitFor(() => (conductor.status(id).counts.running === 2 ? true : undefined));
    const completion = conductor.waitForCompletion(id);

    conductor.cancel(id);
    const result = await completion;

    expect(result.outcome).toBe('cancelled');
    expect(result.state).toBe('cancelled');
    expect(result.sheets.map((s) => [s.id, s.state])).toEqual([
      ['a', 'cancelled'],
      ['b', 'cancelled'],
      ['after', 'cancelled'],
    ]);
    // Cancelled attempts are not retried.
    expect(byId(result.sheets).a!.attempts).toBe(1);
    expect(result.inFlight).toBe(0);
    expect([...pidsOf('a'), ...pidsOf('b')].filter(isRunning)).toEqual([]);
    for (const pgid of pgids) await expectGroupGone(pgid);

    await flushEvents();
    const types = events.map((e) => e.type);
    expect(types).toContain('job.cancelled');
    expect(types.filter((t) => t === 'sheet.cancelled')).toHaveLength(3);
    expect(types.filter((t) => t === 'sheet.dispatched')).toHaveLength(2);
    expect(existsSync(join(dir, 'after.ran'))).toBe(false);
  });

  it('shutdown() kills the running groups and the job resolves interrupted', async () => {
    const score = defineScore({
      version: 1,
      name: 'shutdown',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'] } },
      sheets: [
        { id: 'a', args: [spawnSleepers('a')] },
        { id: 'b', args: [spawnSleepers('b')] },
      ],
    });
    const id = conductor.register(score);
    const pgids = [await pgidOf('a'), await pgidOf('b')];
    await waitFor(() => (conductor.status(id).counts.running === 2 ? true : undefined));
    const completion = conductor.waitForCompletion(id);

    await conductor.shutdown();
    const result = await completion;

    expect(result.outcome).toBe('interrupted');
    // Documented: the sheets keep the states they had (so a later resume can pick them up).
    expect(result.sheets.map((s) => [s.id, s.state])).toEqual([
      ['a', 'running'],
      ['b', 'running'],
    ]);
    expect([...pidsOf('a'), ...pidsOf('b')].filter(isRunning)).toEqual([]);
    for (const pgid of pgids) await expectGroupGone(pgid);
    expect(() => conductor.register(score)).toThrow(ConductorClosedError);
  });
});
