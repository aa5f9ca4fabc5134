import { describe, expect, it } from 'vitest';
import { Conductor, MemoryStore, VirtualClock } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { fail, ok, runToEnd, settle, SimInstrument } from '../support/virtual-run.js';

async function advance(clock: VirtualClock, to: number): Promise<void> {
  while ((clock.nextDue() ?? Infinity) <= to) {
    clock.runNext();
    await settle();
  }
  clock.advanceTo(to);
  await settle();
}

describe('restore: rate limits and breakers survive a restart', () => {
  it('keeps an instrument rate-limited until the stored deadline', async () => {
    const store = new MemoryStore();
    const score = buildScore({ concurrency: 1, stages: [{ id: 'a', fanOut: 2 }] });
    const first = new VirtualClock();
    let calls = 0;
    const limited = new SimInstrument('fn', first, () => ({
      durationMs: 10,
      outcome: ++calls === 1 ? { status: 'failure', error: 'slow down', rateLimitedS: 100 } : ok,
    }));
    const before = new Conductor({ clock: first });
    const jobId = before.register(score, { instruments: { fn: limited }, store });
    await advance(first, 50_000);
    expect(before.rateLimits.isRateLimited('fn')).toEqual({ limited: true, remainingMs: 50_010 });
    await before.shutdown();

    const clock = new VirtualClock(50_000);
    const fn = new SimInstrument('fn', clock, () => ({ durationMs: 10, outcome: ok }));
    const after = new Conductor({ clock });
    expect(after.restore(score, { instruments: { fn }, store: store.connect() })).toBe(jobId);
    expect(after.rateLimits.isRateLimited('fn').limited).toBe(true);
    const result = await runToEnd(after, clock, jobId);
    expect(result.outcome).toBe('completed');
    expect(Math.min(...fn.starts.map((s) => s.at))).toBeGreaterThanOrEqual(100_010);
    await after.shutdown();
  });

  it('keeps a model-scoped limit on its model: the other model runs at once after the restart', async () => {
    const store = new MemoryStore();
    const score = buildScore({
      instruments: { fn: { models: { fast: {}, slow: {} }, rateLimit: { scope: 'model' } } },
      stages: [
        { id: 'f', model: 'fast' },
        { id: 's', model: 'slow', deps: ['f'], onDependencyFailure: 'fail' },
        { id: 't', model: 'slow' },
      ],
    });
    const first = new VirtualClock();
    // f is rate-limited at 10 ms; t is still running when the conductor shuts down.
    const limited = new SimInstrument('fn', first, (r) => ({
      durationMs: r.sheetId === 'f' ? 10 : 1_000_000,
      outcome: r.sheetId === 'f' ? { status: 'failure', error: 'slow down', rateLimitedS: 100 } : ok,
    }));
    const before = new Conductor({ clock: first });
    const jobId = before.register(score, { instruments: { fn: limited }, store });
    await advance(first, 50);
    await before.shutdown();

    const clock = new VirtualClock(1_000);
    const fn = new SimInstrument('fn', clock, () => ({ durationMs: 10, outcome: ok }));
    const after = new Conductor({ clock });
    after.restore(score, { instruments: { fn }, store: store.connect() });
    expect(after.rateLimits.activeLimits()).toMatchObject([{ instrument: 'fn', model: 'fast', until: 100_010 }]);
    expect(after.rateLimits.isRateLimited('fn', 'slow').limited).toBe(false);
    const result = await runToEnd(after, clock, jobId);
    expect(result.outcome).toBe('completed');
    expect(fn.starts.map((s) => [s.sheetId, s.at])).toEqual([['t', 1_000], ['f', 100_010], ['s', 100_020]]);
    await after.shutdown();
  });

  it('keeps an open circuit open until its stored reopen time, then lets one probe through', async () => {
    const store = new MemoryStore();
    const score = buildScore({ concurrency: 1, stages: [{ id: 'a', fanOut: 3, retries: 0 }] });
    score.instruments.fn!.circuitBreaker = { failures: 1, cooldownMs: 30_000 };
    const first = new VirtualClock();
    const failing = new SimInstrument('fn', first, () => ({ durationMs: 10, outcome: fail() }));
    const before = new Conductor({ clock: first });
    const jobId = before.register(score, { instruments: { fn: failing }, store });
    await advance(first, 1_000);
    expect(before.breakerState('fn')).toBe('open');
    await before.shutdown();

    const clock = new VirtualClock(5_000);
    const fn = new SimInstrument('fn', clock, () => ({ durationMs: 10, outcome: ok }));
    const after = new Conductor({ clock });
    after.restore(score, { instruments: { fn }, store: store.connect() });
    expect(after.breakerState('fn')).toBe('open');
    const result = await runToEnd(after, clock, jobId);
    // Opened at 10 ms for 30 s: the probe runs at 30,010, and its success closes the circuit.
    expect(fn.starts[0]!.at).toBe(30_010);
    expect(result.counts.completed).toBe(2);
    expect(after.breakerState('fn')).toBe('closed');
    await after.shutdown();
  });
});
