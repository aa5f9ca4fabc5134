import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MemoryStore,
  SHEET_STATES,
  SqliteStore,
  TERMINAL_STATES,
  type CheckpointStore,
  type SheetRow,
} from '../../src/index.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { attemptRow, contextIn, jobRow, sheetRow } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = makeTempDir('baton-store-');
});
afterEach(() => removeDir(dir));

/** Each store, opened fresh; `reopen` gives a new handle on the same data (a restart). */
const STORES: Array<[string, () => { store: CheckpointStore; reopen: () => CheckpointStore }]> = [
  [
    'MemoryStore',
    () => {
      const store = new MemoryStore();
      return { store, reopen: () => store.connect() };
    },
  ],
  [
    'SqliteStore',
    () => {
      const path = join(dir, 'baton.db');
      return { store: SqliteStore.open(path), reopen: () => SqliteStore.open(path, { create: false }) };
    },
  ],
];

/** A row in every state, with the context a real sheet machine has in it. */
function everyState(): SheetRow[] {
  return SHEET_STATES.map((state, i) => {
    const context = contextIn(state);
    const terminal = TERMINAL_STATES.has(state);
    return sheetRow(`stage.${i}`, {
      state,
      dispatches: context.dispatches,
      attempts: context.attempts,
      instrumentIndex: context.instrumentIndex,
      lastError: context.lastError,
      reason: context.reason,
      skippedByDecision: state === 'skipped' && i % 2 === 0,
      costUsd: 0.125 * i,
      firstDispatchAt: context.dispatches > 0 ? 1_700_000_000_000 + i : null,
      endedAt: terminal ? 1_700_000_100_000 + i : null,
      outputFile: state === 'completed' ? `/work/ws/stage.${i}/attempt-1.out` : null,
      output: state === 'completed' ? { summary: 'done', files: ['a.ts', 'b.ts'], score: 0.93, nested: { ok: true, none: null } } : null,
      context,
      updatedAt: 1_700_000_200_000 + i,
    });
  });
}

describe.each(STORES)('%s rows', (_name, make) => {
  let store: CheckpointStore;
  let reopen: () => CheckpointStore;
  beforeEach(() => {
    ({ store, reopen } = make());
  });
  afterEach(() => store.close());

  it('starts empty', () => {
    expect(store.loadJob()).toBeUndefined();
    expect(store.loadSheets()).toEqual([]);
    expect(store.loadAttempts()).toEqual([]);
    expect(store.lockHolder()).toBeUndefined();
  });

  it('round-trips a sheet in every state, with its machine context, nulls and outputs', () => {
    const rows = everyState();
    expect(rows.map((r) => r.state)).toEqual([...SHEET_STATES]);
    store.commit({ job: jobRow(), sheets: rows, attempts: [] });
    const again = reopen();
    expect(again.loadSheets()).toEqual(rows);
    expect(again.loadJob()).toEqual(jobRow());
    // The machine's context really is in there, fully (not a stub).
    const retry = again.loadSheets().find((r) => r.state === 'retry')!;
    expect(retry.context).toMatchObject({ retryAt: expect.any(Number), reason: 'timeout', backoff: { maxMs: 60_000 } });
    if (again !== store) again.close();
  });

  it('round-trips every field of the job row, and replaces it on the next commit', () => {
    store.commit({ job: jobRow(), sheets: [], attempts: [] });
    const ended = jobRow({ state: 'completed', outcome: 'completed', pauseReasons: ['budget', 'operator'], budgetUsd: null, updatedAt: 9 });
    store.commit({ job: ended, sheets: [], attempts: [] });
    expect(store.loadJob()).toEqual(ended);
  });

  it('stores an output JSON cannot hold as null, without throwing', () => {
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    const outputs: Array<[unknown, unknown]> = [
      [() => 42, null],
      [cycle, null],
      [10n, null],
      [undefined, null],
      [null, null],
      ['plain text', 'plain text'],
      [0, 0],
      [false, false],
      [[1, 'two', { three: 3 }], [1, 'two', { three: 3 }]],
      // Like JSON: function-valued and undefined properties are dropped, a Date becomes its ISO text.
      [{ keep: 1, drop: () => 1, gone: undefined, at: new Date(0) }, { keep: 1, at: '1970-01-01T00:00:00.000Z' }],
    ];
    store.commit({ sheets: outputs.map(([output], i) => sheetRow(`o.${i}`, { state: 'completed', output })), attempts: [] });
    expect(reopen().loadSheets().map((r) => r.output)).toEqual(outputs.map(([, expected]) => expected));
  });

  it('upserts sheets by id, keeping the order they were first written', () => {
    store.commit({ sheets: [sheetRow('b'), sheetRow('a.10'), sheetRow('a.2')], attempts: [] });
    store.commit({ sheets: [sheetRow('a.10', { state: 'ready', updatedAt: 2 }), sheetRow('c')], attempts: [] });
    const rows = store.loadSheets();
    expect(rows.map((r) => r.id)).toEqual(['b', 'a.10', 'a.2', 'c']);
    expect(rows[1]).toEqual(sheetRow('a.10', { state: 'ready', updatedAt: 2 }));
  });

  it('copies rows both ways: callers cannot alias what is stored', () => {
    const row = sheetRow('x', { state: 'running', context: contextIn('running'), output: { list: [1] } });
    store.commit({ sheets: [row], attempts: [] });
    (row.context as { attempts: number }).attempts = 99;
    (row.output as { list: number[] }).list.push(2);
    const loaded = store.loadSheets()[0]!;
    expect(loaded.context!.attempts).toBe(0);
    expect(loaded.output).toEqual({ list: [1] });
    loaded.context!.backoff.maxMs = 1;
    expect(store.loadSheets()[0]!.context!.backoff.maxMs).toBe(60_000);
  });

  it('round-trips attempts and upserts a running attempt to its outcome', () => {
    const running = attemptRow('edit.1', 1, {
      mode: 'healing',
      model: 'opus',
      stdoutFile: '/ws/edit.1/1.out',
      stderrFile: '/ws/edit.1/1.err',
      pid: 4242,
      pidStart: 'Mon Jan  1 00:00:00 2024',
    });
    store.commit({ sheets: [sheetRow('edit.1', { state: 'running' })], attempts: [running] });
    expect(store.loadAttempts('edit.1')).toEqual([running]);

    const done = { ...running, status: 'success' as const, endedAt: 1_700_000_009_000, exitCode: 0, costUsd: 0.42 };
    const failed = attemptRow('edit.1', 2, {
      status: 'failure',
      endedAt: 5,
      exitCode: null,
      signal: 'SIGTERM',
      error: 'killed',
      reason: 'timeout',
    });
    store.commit({ sheets: [], attempts: [failed, done] });
    expect(reopen().loadAttempts('edit.1')).toEqual([done, failed]);
  });

  it('orders all attempts by sheet (first-written order) then number', () => {
    store.commit({ sheets: [sheetRow('b'), sheetRow('a.10'), sheetRow('a.2')], attempts: [] });
    store.commit({
      sheets: [],
      attempts: [attemptRow('a.2', 2), attemptRow('b', 1), attemptRow('a.2', 1), attemptRow('a.10', 1)],
    });
    expect(store.loadAttempts().map((a) => `${a.sheetId}#${a.number}`)).toEqual(['b#1', 'a.10#1', 'a.2#1', 'a.2#2']);
    expect(store.loadAttempts('nope')).toEqual([]);
  });

  it('reads everything at once with loadAll', () => {
    store.commit({ job: jobRow(), sheets: [sheetRow('a')], attempts: [attemptRow('a', 1)] });
    store.acquireLock({ pid: process.pid, host: 'h' });
    const all = store.loadAll!();
    expect(all).toEqual({
      job: jobRow(),
      sheets: [sheetRow('a')],
      attempts: [attemptRow('a', 1)],
      lock: { pid: process.pid, host: 'h', acquiredAt: expect.any(Number), pidStart: null },
    });
    store.releaseLock();
  });

  it('commits 10,000 sheets and their attempts in one batch and reads them back', () => {
    const context = contextIn('running');
    const sheets = Array.from({ length: 10_000 }, (_, i) =>
      sheetRow(`work.${i}`, { state: 'running', dispatches: 1, firstDispatchAt: i, context, updatedAt: 3 }),
    );
    const attempts = sheets.map((s) => attemptRow(s.id, 1, { pid: 10_000 + Number(s.id.slice(5)) }));
    store.commit({ job: jobRow(), sheets, attempts });
    const loaded = reopen();
    const rows = loaded.loadSheets();
    expect(rows).toHaveLength(10_000);
    expect(rows[0]).toEqual(sheets[0]);
    expect(rows[9_999]).toEqual(sheets[9_999]);
    expect(rows.map((r) => r.id)).toEqual(sheets.map((s) => s.id));
    const all = loaded.loadAttempts();
    expect(all).toHaveLength(10_000);
    expect(all[1234]).toEqual(attempts[1234]);
    if (loaded !== store) loaded.close();
  });
});
