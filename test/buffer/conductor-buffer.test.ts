import { describe, expect, it } from 'vitest';
import { Conductor, MemoryStore, VirtualClock, type BatonEvent, type BufferSpec, type Score } from '../../src/index.js';
import { buildScore, type InstrumentDraft } from '../support/build-score.js';
import { runToEnd, settle } from '../support/virtual-run.js';
import { SlowStartInstrument } from './slow-start.js';

function fanOutScore(sheets: number, buffer: BufferSpec | undefined, options: { retries?: number; backup?: boolean } = {}): Score {
  const instruments: Record<string, InstrumentDraft> = { api: options.backup ? { fallback: ['backup'] } : {} };
  if (options.backup) instruments.backup = {};
  const score = buildScore({
    concurrency: 20,
    instruments,
    stages: [{ id: 's', fanOut: sheets, instrument: 'api', retries: options.retries ?? 0 }],
  });
  if (buffer !== undefined) score.instruments.api!.buffer = buffer;
  return score;
}

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `s.${i + 1}`).sort();

function setup(): { clock: VirtualClock; conductor: Conductor; events: BatonEvent[] } {
  const clock = new VirtualClock();
  const conductor = new Conductor({ clock });
  const events: BatonEvent[] = [];
  conductor.events$.subscribe((event) => events.push(event));
  return { clock, conductor, events };
}

function ofType<T extends BatonEvent['type']>(events: BatonEvent[], type: T): Array<Extract<BatonEvent, { type: T }>> {
  return events.filter((e): e is Extract<BatonEvent, { type: T }> => e.type === type);
}

describe('a dispatch buffer in the conductor', () => {
  it('keeps sheets a full buffer refused ready, dispatches them later, and loses none', async () => {
    const { clock, conductor, events } = setup();
    const api = new SlowStartInstrument('api', clock, { startMs: 50, runMs: 10 });
    const jobId = conductor.register(fanOutScore(12, { size: 2, workers: 1 }), { instruments: { api } });
    await settle();
    // One start in progress and two queued; the other nine were never dispatched.
    expect(conductor.status(jobId).counts).toMatchObject({ dispatched: 3, ready: 9 });

    const result = await runToEnd(conductor, clock, jobId);
    await settle();
    expect(result.outcome).toBe('completed');
    expect(ofType(events, 'sheet.dispatched').map((e) => e.sheetId).sort()).toEqual(ids(12));
    expect([...api.begun].sort()).toEqual(ids(12));
    expect(api.maxStarting).toBe(1);
    expect(result.sheets.every((s) => s.attempts === 1)).toBe(true);

    const refused = ofType(events, 'dispatch.at_capacity');
    expect(refused.length).toBeGreaterThan(0);
    for (const event of refused) {
      const at = events.indexOf(event);
      const later = events.findIndex((e, i) => i > at && e.type === 'sheet.dispatched' && e.sheetId === event.sheetId);
      expect(later, `${event.sheetId} dispatched after it was refused`).toBeGreaterThan(at);
    }
    const depths = ofType(events, 'buffer.depth');
    expect(depths.every((d) => d.instrument === 'api' && d.queued <= 2 && d.starting <= 1)).toBe(true);
    expect(depths.at(-1)).toMatchObject({ queued: 0, starting: 0 });
    await conductor.shutdown();
  });

  it('never checkpoints a refused sheet as dispatched', async () => {
    const { clock, conductor } = setup();
    const api = new SlowStartInstrument('api', clock, { startMs: 50, runMs: 10 });
    const store = new MemoryStore();
    conductor.register(fanOutScore(6, { size: 1, workers: 1 }), { instruments: { api }, store });
    await settle();
    const states = store.loadSheets().map((row) => row.state);
    expect(states.filter((state) => state === 'dispatched')).toHaveLength(2);
    expect(states.filter((state) => state !== 'dispatched').every((state) => state === 'ready' || state === 'pending')).toBe(true);
    await conductor.shutdown();
  });

  it('on shutdown drains queued starts without beginning their work; a resume runs them once', async () => {
    const first = setup();
    const api = new SlowStartInstrument('api', first.clock, { startMs: 50, runMs: 10 });
    const store = new MemoryStore();
    const score = fanOutScore(5, { size: 2, workers: 1 });
    first.conductor.register(score, { instruments: { api }, store });
    await settle();
    // Resolves without the virtual clock moving: nothing waits on a timer.
    await first.conductor.shutdown();
    expect(api.begun).toEqual([]);
    // The shutdown took back the two queued starts: only the one under way reached the instrument.
    expect(api.calls.map((c) => c.aborted)).toEqual([false]);
    expect(store.loadSheets().filter((row) => row.state === 'dispatched')).toHaveLength(3);

    const next = setup();
    const again = new SlowStartInstrument('api', next.clock, { startMs: 50, runMs: 10 });
    const jobId = next.conductor.restore(score, { instruments: { api: again }, store: store.connect() });
    const result = await runToEnd(next.conductor, next.clock, jobId);
    expect(result.outcome).toBe('completed');
    expect([...again.begun].sort()).toEqual(ids(5));
    await next.conductor.shutdown();
  });

  it('tries a transient start failure again without using an attempt', async () => {
    const { clock, conductor, events } = setup();
    const api = new SlowStartInstrument('api', clock, {
      startMs: 5,
      runMs: 10,
      behave: (_sheet, call) => (call <= 2 ? 'transient' : 'start'),
    });
    const jobId = conductor.register(fanOutScore(1, { size: 1, workers: 1 }, { retries: 0 }), { instruments: { api } });
    const result = await runToEnd(conductor, clock, jobId);
    await settle();
    expect(result.outcome).toBe('completed');
    expect(result.sheets[0]).toMatchObject({ state: 'completed', attempts: 1 });
    expect(api.calls).toHaveLength(3);
    expect(ofType(events, 'dispatch.start_error').map((e) => [e.sheetId, e.permanent])).toEqual([
      ['s.1', false],
      ['s.1', false],
    ]);
    await conductor.shutdown();
  });

  it('fails the attempt as unavailable once the transient tries run out', async () => {
    const { clock, conductor } = setup();
    const api = new SlowStartInstrument('api', clock, { startMs: 5, runMs: 10, behave: () => 'transient' });
    const jobId = conductor.register(fanOutScore(1, { size: 1, workers: 1 }, { retries: 0 }), { instruments: { api } });
    const result = await runToEnd(conductor, clock, jobId);
    expect(result.outcome).toBe('failed');
    expect(result.sheets[0]).toMatchObject({
      state: 'failed',
      reason: 'unavailable',
      lastError: 'cannot start "api": too many connections (gave up after 4 tries)',
    });
    expect(api.calls).toHaveLength(4);
    await conductor.shutdown();
  });

  it('fails a permanent start failure at once, and moves the sheet to its fallback', async () => {
    const { clock, conductor, events } = setup();
    const api = new SlowStartInstrument('api', clock, { startMs: 5, runMs: 10, behave: () => 'permanent' });
    const score = fanOutScore(1, { size: 1, workers: 1 }, { retries: 3, backup: true });
    const jobId = conductor.register(score, { instruments: { api, backup: () => ({ ok: true }) } });
    const result = await runToEnd(conductor, clock, jobId);
    await settle();
    expect(result.outcome).toBe('completed');
    expect(api.calls).toHaveLength(1);
    expect(ofType(events, 'dispatch.start_error')).toMatchObject([{ permanent: true, error: 'cannot start "api": no such endpoint' }]);
    expect(ofType(events, 'sheet.fallback')).toMatchObject([{ from: 'api', to: 'backup', reason: 'unavailable' }]);
    await conductor.shutdown();
  });

  it('on cancel takes back the starts still queued: the instrument never hears of them', async () => {
    const { clock, conductor } = setup();
    const api = new SlowStartInstrument('api', clock, { startMs: 50, runMs: 10 });
    const jobId = conductor.register(fanOutScore(4, { size: 4, workers: 1 }), { instruments: { api } });
    await settle();
    conductor.cancel(jobId);
    const result = await runToEnd(conductor, clock, jobId);
    expect(result.outcome).toBe('cancelled');
    expect(api.calls.map((c) => [c.sheetId, c.aborted])).toEqual([['s.1', false]]);
    expect(api.begun).toEqual([]);
    await conductor.shutdown();
  });

  it('with size 0 starts every musician directly, with no buffer at all', async () => {
    const { clock, conductor, events } = setup();
    const api = new SlowStartInstrument('api', clock, { startMs: 50, runMs: 10 });
    const jobId = conductor.register(fanOutScore(8, { size: 0, workers: 1 }), { instruments: { api } });
    await settle();
    expect(conductor.status(jobId).counts.dispatched).toBe(8);
    const result = await runToEnd(conductor, clock, jobId);
    await settle();
    expect(result.outcome).toBe('completed');
    expect(api.maxStarting).toBe(8);
    expect(events.some((e) => e.type.startsWith('buffer.') || e.type.startsWith('dispatch.'))).toBe(false);
    await conductor.shutdown();
  });
});
