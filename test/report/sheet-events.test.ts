/**
 * The sheet events a checkpoint keeps (schema v5): what a run report draws waits, backoffs
 * and fermatas from. Written by the checkpointer in the turn's own transaction.
 */
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Conductor,
  MemoryStore,
  SqliteStore,
  VirtualClock,
  type AttemptRequest,
  type CheckpointStore,
  type SheetEventRow,
} from '../../src/index.js';
import { decideInCheckpoint } from '../../src/runtime/durability/decide-in-checkpoint.js';
import { CheckpointNeedsMigrationError } from '../../src/store/errors.js';
import { LATEST_SCHEMA_VERSION, migrate } from '../../src/store/migrations.js';
import { checkpointPath } from '../../src/store/sqlite-store.js';
import { jobRow, sheetRow } from '../store/helpers.js';
import { buildScore, type ScoreDraft } from '../support/build-score.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { fail, ok, runToEnd, settle, SimInstrument, type Behaviour } from '../support/virtual-run.js';

const workspace = makeTempDir('baton-report-');
afterAll(() => removeDir(workspace));

function world(start = 0) {
  const clock = new VirtualClock(start);
  const conductor = new Conductor({ clock, random: () => 0.5 });
  const sim = (behave: (r: AttemptRequest) => Behaviour) => new SimInstrument('fn', clock, behave);
  return { clock, conductor, sim };
}

const score = (draft: ScoreDraft) => buildScore({ workspace, instruments: { fn: { rateLimit: {} } }, ...draft });

function eventsOf(store: CheckpointStore, sheetId: string): Array<Omit<SheetEventRow, 'sheetId'>> {
  return (store.loadAll!({ events: true }).events ?? []).filter((e) => e.sheetId === sheetId).map(({ sheetId: _, ...rest }) => rest);
}

/** First attempt of each listed sheet behaves as given; every later attempt succeeds in 100 ms. */
function firstThen(first: Record<string, Behaviour>) {
  const seen = new Set<string>();
  return (r: AttemptRequest): Behaviour => {
    const special = first[r.sheetId];
    if (special !== undefined && !seen.has(r.sheetId)) {
      seen.add(r.sheetId);
      return special;
    }
    return { durationMs: 100, outcome: ok };
  };
}

describe('sheet events', () => {
  it('record a rate-limit wait with its deadline, and the turn it ended', async () => {
    const { clock, conductor, sim } = world();
    const store = new MemoryStore();
    const fn = sim(firstThen({ a: { durationMs: 50, outcome: { status: 'failure', error: '429', rateLimitedS: 30 } } }));
    const jobId = conductor.register(score({ stages: [{ id: 'a' }] }), { instruments: { fn }, store });
    expect((await runToEnd(conductor, clock, jobId)).outcome).toBe('completed');

    expect(eventsOf(store, 'a')).toEqual([
      { at: 0, state: 'ready', until: null, detail: null },
      { at: 0, state: 'dispatched', until: null, detail: null },
      { at: 0, state: 'running', until: null, detail: null },
      { at: 50, state: 'waiting', until: 30_050, detail: null },
      { at: 30_050, state: 'ready', until: null, detail: null },
      { at: 30_050, state: 'dispatched', until: null, detail: null },
      { at: 30_050, state: 'running', until: null, detail: null },
      { at: 30_150, state: 'completed', until: null, detail: null },
    ]);
    expect(store.loadAttempts('a').map((a) => a.status)).toEqual(['rate_limited', 'success']);
    await conductor.shutdown();
  });

  it('record a retry backoff with its deadline and reason', async () => {
    const { clock, conductor, sim } = world();
    const store = new MemoryStore();
    const fn = sim(firstThen({ a: { durationMs: 10, outcome: fail('boom') } }));
    const s = score({ stages: [{ id: 'a', retries: 1, backoff: { initialMs: 1000, jitter: 0 } }] });
    const jobId = conductor.register(s, { instruments: { fn }, store });
    await runToEnd(conductor, clock, jobId);
    expect(eventsOf(store, 'a').map((e) => [e.at, e.state, e.until, e.detail])).toEqual([
      [0, 'ready', null, null],
      [0, 'dispatched', null, null],
      [0, 'running', null, null],
      [10, 'retry', 1010, 'failed'],
      [1010, 'ready', null, null],
      [1010, 'dispatched', null, null],
      [1010, 'running', null, null],
      [1110, 'completed', null, null],
    ]);
    await conductor.shutdown();
  });

  it('record when a fermata opened and when a decision closed it', async () => {
    const { clock, conductor, sim } = world();
    const store = new MemoryStore();
    const fn = sim(firstThen({ a: { durationMs: 10, outcome: fail('needs a human') } }));
    const s = score({ stages: [{ id: 'a', escalate: true }, { id: 'b', deps: ['a'] }] });
    const jobId = conductor.register(s, { instruments: { fn }, store });
    expect((await runToEnd(conductor, clock, jobId)).outcome).toBe('held');
    clock.advanceTo(5000);
    conductor.decide(jobId, 'a', 'retry');
    expect((await runToEnd(conductor, clock, jobId)).outcome).toBe('completed');

    expect(eventsOf(store, 'a').map((e) => [e.at, e.state, e.detail])).toEqual([
      [0, 'ready', null],
      [0, 'dispatched', null],
      [0, 'running', null],
      [10, 'fermata', 'failed'],
      [5000, 'ready', null],
      [5000, 'dispatched', null],
      [5000, 'running', null],
      [5100, 'completed', null],
    ]);
    // A pending sheet has no events until it moves.
    expect(eventsOf(store, 'b').map((e) => [e.at, e.state])).toEqual([
      [5100, 'ready'],
      [5100, 'dispatched'],
      [5100, 'running'],
      [5200, 'completed'],
    ]);
    await conductor.shutdown();
  });

  it('record a decision taken in the checkpoint while no conductor runs', async () => {
    const { clock, conductor, sim } = world();
    const store = new MemoryStore();
    const fn = sim(() => ({ durationMs: 10, outcome: fail('<script>x</script>') }));
    const jobId = conductor.register(score({ stages: [{ id: 'a', escalate: true }] }), { instruments: { fn }, store });
    await runToEnd(conductor, clock, jobId);
    await conductor.shutdown();
    decideInCheckpoint(store.connect(), 'a', 'skip', 9000);
    expect(eventsOf(store, 'a').slice(-2)).toEqual([
      { at: 10, state: 'fermata', until: null, detail: 'failed' },
      { at: 9000, state: 'skipped', until: null, detail: 'decision' },
    ]);
  });

  it('after a restore, record only real moves: terminal sheets stay silent, interrupted ones go back to ready', async () => {
    const s = score({ stages: [{ id: 'a' }, { id: 'b', deps: ['a'] }] });
    const store = new MemoryStore();
    const first = world();
    const jobId = first.conductor.register(s, { instruments: { fn: first.sim(() => ({ durationMs: 100, outcome: ok })) }, store });
    // a completes at 100, b runs from 100: abandon the conductor at 150 (as after kill -9).
    for (let i = 0; i < 20 && first.clock.now() < 150; i++) {
      await settle();
      const due = first.clock.nextDue();
      if (due === undefined || due > 150) break;
      first.clock.advanceTo(due);
    }
    await settle();
    const before = store.loadAll({ events: true }).events!.length;
    expect(eventsOf(store, 'b').map((e) => e.state)).toEqual(['ready', 'dispatched', 'running']);

    const next = world(1000);
    const restored = next.conductor.restore(s, { instruments: { fn: next.sim(() => ({ durationMs: 100, outcome: ok })) }, store: store.connect() });
    expect(restored).toBe(jobId);
    await runToEnd(next.conductor, next.clock, restored);
    const after = store.loadAll({ events: true }).events!.slice(before);
    expect(after.map((e) => [e.sheetId, e.at, e.state])).toEqual([
      ['b', 1000, 'ready'],
      ['b', 1000, 'dispatched'],
      ['b', 1000, 'running'],
      ['b', 1100, 'completed'],
    ]);
    await next.conductor.shutdown();
  });
});

describe('sheet events in SQLite', () => {
  let dir: string;
  beforeEach(() => (dir = makeTempDir('baton-report-')));
  afterEach(() => removeDir(dir));

  it('migrate a v4 checkpoint to the latest schema, keeping its rows, with an empty history', () => {
    const path = checkpointPath(dir);
    const v4 = new Database(path);
    expect(migrate(v4, 4)).toBe(4);
    v4.prepare(
      `INSERT INTO job (id, job_id, name, fingerprint, state, pause_reasons, budget_usd, outcome, created_at, updated_at)
       VALUES (1, 'job-4', 'old', '{"stages":[]}', 'running', '[]', NULL, NULL, 10, 20)`,
    ).run();
    v4.close();
    expect(() => SqliteStore.open(path, { readonly: true })).toThrow(CheckpointNeedsMigrationError);

    const store = SqliteStore.open(path, { create: false });
    expect(LATEST_SCHEMA_VERSION).toBe(7);
    expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(store.loadJob()).toMatchObject({ jobId: 'job-4', name: 'old' });
    expect(store.loadAll({ events: true }).events).toEqual([]);
    store.commit({ sheets: [sheetRow('a', { state: 'waiting' })], attempts: [], events: [{ sheetId: 'a', at: 30, state: 'waiting', until: 90, detail: null }] });
    store.close();

    const reader = SqliteStore.open(path, { readonly: true });
    expect(reader.loadAll({ events: true }).events).toEqual([{ sheetId: 'a', at: 30, state: 'waiting', until: 90, detail: null }]);
    expect(reader.loadAll().events).toBeUndefined();
    reader.close();
  });

  it('append events in order, in the same transaction as the rows', () => {
    const store = SqliteStore.open(checkpointPath(dir));
    const event = (sheetId: string, at: number): SheetEventRow => ({ sheetId, at, state: 'ready', until: null, detail: null });
    store.commit({ job: jobRow(), sheets: [sheetRow('b')], attempts: [], events: [event('b', 1), event('a', 2)] });
    store.commit({ sheets: [], attempts: [], events: [event('b', 3)] });
    // A batch that fails halfway leaves no event behind.
    expect(() => store.commit({ sheets: [sheetRow('c'), { ...sheetRow('d'), state: null as never }], attempts: [], events: [event('c', 4)] })).toThrow();
    expect(store.loadAll({ events: true }).events!.map((e) => `${e.sheetId}@${e.at}`)).toEqual(['b@1', 'a@2', 'b@3']);
    store.close();
  });
});
