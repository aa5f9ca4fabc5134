import { describe, expect, it } from 'vitest';
import { Conductor, NotInFermataError, UnknownDecisionError, VirtualClock, type AttemptRequest, type BatonEvent } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { fail, ok, runToEnd, settle, SimInstrument, type Behaviour } from '../support/virtual-run.js';

function setup(behave: (r: AttemptRequest) => Behaviour = () => ({ durationMs: 100, outcome: ok })) {
  const clock = new VirtualClock();
  const conductor = new Conductor({ clock, random: () => 0.5 });
  const fn = new SimInstrument('fn', clock, behave);
  return { clock, conductor, fn };
}

describe('conductor', () => {
  it('runs a chain in dependency order and completes the job', async () => {
    const { clock, conductor, fn } = setup();
    const score = buildScore({ stages: [{ id: 'a' }, { id: 'b', deps: ['a'] }, { id: 'c', deps: ['b'] }] });
    const id = conductor.register(score, { instruments: { fn } });
    const result = await runToEnd(conductor, clock, id);
    expect(result.outcome).toBe('completed');
    expect(fn.starts.map((s) => [s.sheetId, s.at])).toEqual([['a', 0], ['b', 100], ['c', 200]]);
    expect(result.sheets.every((s) => s.state === 'completed' && s.attempts === 1)).toBe(true);
  });

  it('releases a fan-out dependent only when every member completed, and a member dependent after its member', async () => {
    const { clock, conductor, fn } = setup((r) => ({ durationMs: r.sheetId === 'x.2' ? 500 : 100, outcome: ok }));
    const score = buildScore({
      stages: [{ id: 'x', fanOut: 3 }, { id: 'all', deps: ['x'] }, { id: 'one', deps: ['x.1'] }],
    });
    const id = conductor.register(score, { instruments: { fn } });
    await runToEnd(conductor, clock, id);
    const at = Object.fromEntries(fn.starts.map((s) => [s.sheetId, s.at]));
    expect(at).toEqual({ 'x.1': 0, 'x.2': 0, 'x.3': 0, one: 100, all: 500 });
  });

  it('retries failed attempts after the backoff, in virtual time', async () => {
    let calls = 0;
    const { clock, conductor, fn } = setup(() => ({ durationMs: 10, outcome: ++calls < 3 ? fail() : ok }));
    const score = buildScore({ stages: [{ id: 'a', retries: 3, backoff: { initialMs: 1000, factor: 3 } }] });
    const id = conductor.register(score, { instruments: { fn } });
    const result = await runToEnd(conductor, clock, id);
    expect(result.outcome).toBe('completed');
    // starts: 0; fails at 10, waits 1000; fails at 1020, waits 3000.
    expect(fn.starts.map((s) => s.at)).toEqual([0, 1010, 4020]);
    expect(fn.starts.map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(result.sheets[0]!.attempts).toBe(3);
  });

  it('kills an attempt at its timeout and counts it as a failure', async () => {
    const { clock, conductor, fn } = setup(() => ({ durationMs: 60_000, outcome: ok }));
    const score = buildScore({ stages: [{ id: 'slow', timeoutMs: 5000 }] });
    const id = conductor.register(score, { instruments: { fn } });
    const result = await runToEnd(conductor, clock, id);
    expect(result.outcome).toBe('failed');
    expect(result.sheets[0]).toMatchObject({ state: 'failed', reason: 'timeout' });
    expect(clock.now()).toBe(5000);
  });

  it('skips exactly the transitive dependents of a failed sheet, or fails them by their policy', async () => {
    const { clock, conductor, fn } = setup((r) => ({ durationMs: 1, outcome: r.sheetId === 'bad' ? fail() : ok }));
    const score = buildScore({
      stages: [
        { id: 'bad' },
        { id: 'good' },
        { id: 'child', deps: ['bad'] },
        { id: 'grandchild', deps: ['child', 'good'], onDependencyFailure: 'fail' },
        { id: 'sibling', deps: ['good'] },
      ],
    });
    const id = conductor.register(score, { instruments: { fn } });
    const result = await runToEnd(conductor, clock, id);
    const state = Object.fromEntries(result.sheets.map((s) => [s.id, `${s.state}${s.reason ? `:${s.reason}` : ''}`]));
    expect(state).toEqual({
      bad: 'failed:failed',
      good: 'completed',
      child: 'skipped:dependency',
      grandchild: 'failed:dependency',
      sibling: 'completed',
    });
    expect(result.outcome).toBe('failed');
  });

  it('runs several jobs at once under one global cap, with distinct ids', async () => {
    const clock = new VirtualClock();
    const conductor = new Conductor({ clock, maxConcurrent: 3 });
    let live = 0;
    let peak = 0;
    const fn = new SimInstrument('fn', clock, () => ({ durationMs: 10, outcome: ok }), {
      onStart: () => void (peak = Math.max(peak, ++live)),
      onEnd: () => void live--,
    });
    const score = buildScore({ stages: [{ id: 'w', fanOut: 5 }] });
    const ids = [conductor.register(score, { instruments: { fn } }), conductor.register(score, { instruments: { fn } })];
    expect(new Set(ids).size).toBe(2);
    const results = await Promise.all(ids.map((id) => runToEnd(conductor, clock, id)));
    expect(results.map((r) => r.outcome)).toEqual(['completed', 'completed']);
    expect(peak).toBe(3);
  });

  it('pauses a job (running attempts finish, nothing new starts) and resumes it', async () => {
    const { clock, conductor, fn } = setup();
    const score = buildScore({ concurrency: 1, stages: [{ id: 'w', fanOut: 3 }] });
    const id = conductor.register(score, { instruments: { fn } });
    conductor.pause(id);
    clock.advanceBy(1000);
    await settle();
    expect(fn.starts).toHaveLength(1);
    expect(conductor.status(id).counts.completed).toBe(1);
    expect(conductor.status(id).state).toBe('paused');
    conductor.resume(id);
    const result = await runToEnd(conductor, clock, id);
    expect(result.outcome).toBe('completed');
  });

  it('cancels a job: running attempts are aborted, every sheet ends cancelled', async () => {
    const { clock, conductor, fn } = setup(() => ({ durationMs: 10_000, outcome: ok }));
    const score = buildScore({ stages: [{ id: 'w', fanOut: 2 }, { id: 'after', deps: ['w'] }] });
    const id = conductor.register(score, { instruments: { fn } });
    await settle();
    expect(fn.inFlight).toBe(2);
    const done = conductor.waitForCompletion(id);
    conductor.cancel(id);
    const result = await done;
    expect(fn.inFlight).toBe(0);
    expect(result.outcome).toBe('cancelled');
    expect(result.sheets.map((s) => s.state)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(clock.now()).toBe(0);
  });

  it('holds the job at a fermata and continues after a decision', async () => {
    const { clock, conductor, fn } = setup((r) => ({ durationMs: 5, outcome: r.sheetId === 'ask' ? fail() : ok }));
    const score = buildScore({ stages: [{ id: 'ask', escalate: true }, { id: 'next', deps: ['ask'] }] });
    const id = conductor.register(score, { instruments: { fn } });
    const held = await runToEnd(conductor, clock, id);
    expect(held.outcome).toBe('held');
    expect(held.counts.fermata).toBe(1);
    expect(() => conductor.decide(id, 'next', 'accept')).toThrow(NotInFermataError);
    // From JavaScript, without the type: refused, and the fermata stays open.
    expect(() => conductor.decide(id, 'ask', 'maybe' as never)).toThrow(UnknownDecisionError);
    expect(conductor.status(id).sheets[0]!.state).toBe('fermata');
    conductor.decide(id, 'ask', 'skip');
    const result = await runToEnd(conductor, clock, id);
    expect(result.outcome).toBe('completed');
    expect(result.sheets.map((s) => s.state)).toEqual(['skipped', 'completed']);
  });

  it('moves a sheet to its fallback instrument without the primary model', async () => {
    const clock = new VirtualClock();
    const conductor = new Conductor({ clock });
    const primary = new SimInstrument('primary', clock, () => ({ durationMs: 1, outcome: fail() }));
    const backup = new SimInstrument('backup', clock, () => ({ durationMs: 1, outcome: ok }));
    const score = buildScore({
      instruments: { primary: { fallback: ['backup'], models: { big: {} } }, backup: {} },
      stages: [{ id: 'a', instrument: 'primary', model: 'big' }],
    });
    const id = conductor.register(score, { instruments: { primary, backup } });
    const result = await runToEnd(conductor, clock, id);
    expect(result.outcome).toBe('completed');
    expect(primary.starts.map((s) => s.model)).toEqual(['big']);
    expect(backup.starts.map((s) => s.model)).toEqual([undefined]);
    expect(result.sheets[0]).toMatchObject({ instrument: 'backup', attempts: 2 });
  });

  it('keeps running when an events$ subscriber throws, and delivers to the others', async () => {
    const { clock, conductor, fn } = setup();
    const seen: BatonEvent['type'][] = [];
    const warnings: string[] = [];
    process.on('warning', (w) => warnings.push(w.message));
    conductor.events$.subscribe(() => {
      throw new Error('bad subscriber');
    });
    conductor.events$.subscribe((e) => seen.push(e.type));
    const id = conductor.register(buildScore({ stages: [{ id: 'a' }, { id: 'b', deps: ['a'] }] }), { instruments: { fn } });
    const result = await runToEnd(conductor, clock, id);
    await settle();
    expect(result.outcome).toBe('completed');
    expect(seen).toEqual([
      'job.started',
      'sheet.dispatched',
      'sheet.running',
      'attempt.ended',
      'sheet.completed',
      'sheet.dispatched',
      'sheet.running',
      'attempt.ended',
      'sheet.completed',
      'job.completed',
    ]);
    expect(warnings.some((w) => w.includes('bad subscriber'))).toBe(true);
  });

  it('does not wait for a slow subscriber: delivery lags, dispatch does not', async () => {
    const { clock, conductor, fn } = setup();
    const startsWhenDelivered: number[] = [];
    conductor.events$.subscribe(() => {
      startsWhenDelivered.push(fn.starts.length);
      const until = Date.now() + 5;
      while (Date.now() < until) {
        // a subscriber that blocks on every event
      }
    });
    const id = conductor.register(buildScore({ stages: [{ id: 'w', fanOut: 3 }] }), { instruments: { fn } });
    // The turn that registered the job dispatched every sheet before any event was delivered.
    expect(fn.starts).toHaveLength(3);
    expect(startsWhenDelivered).toEqual([]);
    const result = await runToEnd(conductor, clock, id);
    expect(result.outcome).toBe('completed');
    expect(startsWhenDelivered[0]).toBe(3);
  });

  it('shutdown aborts running attempts and resolves unfinished jobs as interrupted', async () => {
    const { conductor, fn } = setup(() => ({ durationMs: 1e9, outcome: ok }));
    const id = conductor.register(buildScore({ stages: [{ id: 'forever' }] }), { instruments: { fn } });
    await settle();
    const done = conductor.waitForCompletion(id);
    await conductor.shutdown();
    expect(fn.inFlight).toBe(0);
    expect((await done).outcome).toBe('interrupted');
    expect(() => conductor.register(buildScore({ stages: [{ id: 'x' }] }), { instruments: { fn } })).toThrow(/shutting down/);
  });

  it('paces dispatches of a job by its pacing gap, in virtual time', async () => {
    const { clock, conductor, fn } = setup(() => ({ durationMs: 10, outcome: ok }));
    const id = conductor.register(buildScore({ pacingMs: 1000, stages: [{ id: 'w', fanOut: 3 }] }), { instruments: { fn } });
    const result = await runToEnd(conductor, clock, id);
    expect(result.outcome).toBe('completed');
    expect(fn.starts.map((s) => s.at)).toEqual([0, 1000, 2000]);
  });

  describe('budgets', () => {
    const costly = (costUsd: number) => ({ durationMs: 10, outcome: { status: 'success' as const, costUsd } });

    it('pauses the job once it spent its budget; running attempts finish; a raised budget continues', async () => {
      const { clock, conductor, fn } = setup(() => costly(0.4));
      const events: string[] = [];
      conductor.events$.subscribe((e) => events.push(e.type === 'job.paused' ? `paused:${e.reason}` : e.type));
      const id = conductor.register(buildScore({ budgetUsd: 1, concurrency: 2, stages: [{ id: 'w', fanOut: 5 }] }), { instruments: { fn } });
      const paused = await runToEnd(conductor, clock, id);
      // Two run at once: 0.8 spent, then two more start, 1.6 spent ≥ 1: nothing new starts.
      expect(paused.outcome).toBe('paused');
      expect(paused.pauseReasons).toContain('budget');
      expect(paused.counts.completed).toBe(4);
      expect(paused.costUsd).toBeCloseTo(1.6);
      expect(fn.starts).toHaveLength(4);
      conductor.setBudget(id, 10);
      const done = await runToEnd(conductor, clock, id);
      expect(done.outcome).toBe('completed');
      expect(done.costUsd).toBeCloseTo(2.0);
      await settle();
      expect(events).toContain('paused:budget');
    });

    it("fails a sheet whose own cost passes its budget, even on a successful attempt", async () => {
      const { clock, conductor, fn } = setup(() => costly(0.3));
      const score = buildScore({ stages: [{ id: 'a', retries: 3 }, { id: 'b', deps: ['a'] }] });
      score.stages[0]!.budgetUsd = 0.5;
      let calls = 0;
      fn.starts.length = 0;
      const flaky = new SimInstrument('fn', clock, () => (++calls === 1 ? { durationMs: 10, outcome: { status: 'failure' as const, error: 'x', costUsd: 0.3 } } : costly(0.3)));
      const id = conductor.register(score, { instruments: { fn: flaky } });
      const result = await runToEnd(conductor, clock, id);
      expect(result.sheets[0]).toMatchObject({ id: 'a', state: 'failed', reason: 'budget', attempts: 2 });
      expect(result.sheets[0]!.lastError).toMatch(/over its budget of \$0\.5000/);
      expect(result.sheets[1]).toMatchObject({ state: 'skipped', reason: 'dependency' });
    });
  });

  it('turns a musician that ends without an outcome into a stale failure, never a stuck sheet', async () => {
    const clock = new VirtualClock();
    const conductor = new Conductor({ clock });
    const silent = { name: 'fn', kind: 'function' as const, run: async () => undefined as never };
    const id = conductor.register(buildScore({ stages: [{ id: 'a', retries: 1 }] }), { instruments: { fn: silent } });
    const result = await runToEnd(conductor, clock, id);
    expect(result.sheets[0]).toMatchObject({ state: 'failed', reason: 'stale', attempts: 2 });
    expect(result.sheets[0]!.lastError).toMatch(/without reporting an outcome/);
  });
});
