/**
 * Conductor-level policies in virtual time, with simulated instruments: rate limits shared by
 * every job of an instrument, circuit breakers (open → half-open probe → closed/reopened,
 * fallback while open), and the other per-job policies that gate dispatch (budget, pacing,
 * healing and fermata). Assertions read SimInstrument start times and the event bus, never
 * wall-clock time.
 */
import { describe, expect, it } from 'vitest';
import {
  BudgetSpentError,
  Conductor,
  VirtualClock,
  type AttemptOutcome,
  type AttemptRequest,
  type BatonEvent,
  type JobResult,
} from '../../src/index.js';
import { buildScore, type StageDraft } from '../support/build-score.js';
import {
  fail,
  ok,
  runAll,
  runToEnd,
  settle,
  SimInstrument,
  stepUntil,
  type Behaviour,
} from '../support/virtual-run.js';

const rateLimited = (seconds: number): AttemptOutcome => ({ status: 'failure', error: '429 too many requests', rateLimitedS: seconds });

function setup() {
  const clock = new VirtualClock();
  const conductor = new Conductor({ clock, random: () => 0.5 });
  const events: BatonEvent[] = [];
  conductor.events$.subscribe((event) => events.push(event));
  return { clock, conductor, events };
}

const stateOf = (conductor: Conductor, jobId: string, sheetId: string) =>
  conductor.status(jobId).sheets.find((s) => s.id === sheetId)!.state;

const types = (events: BatonEvent[], prefix: string) => events.filter((e) => e.type.startsWith(prefix)).map((e) => e.type);

describe('rate limits across jobs', () => {
  it("a limit hit in job A holds back job B's sheets of that instrument while another instrument keeps running", async () => {
    const { clock, conductor, events } = setup();
    let firstA = true;
    const x = new SimInstrument('x', clock, (r): Behaviour => {
      if (r.sheetId === 'a1' && firstA) {
        firstA = false;
        return { durationMs: 10, outcome: rateLimited(5) };
      }
      return { durationMs: 10, outcome: ok };
    });
    const y = new SimInstrument('y', clock, () => ({ durationMs: 100, outcome: ok }));
    const instruments = { x: {}, y: {} };
    const jobA = conductor.register(buildScore({ name: 'A', instruments, stages: [{ id: 'a1', instrument: 'x' }] }), {
      instruments: { x, y },
    });
    // Job B: its x sheets become ready at t=100 and t=300, both inside A's limit (10 … 5010).
    const jobB = conductor.register(
      buildScore({
        name: 'B',
        instruments,
        stages: [
          { id: 'y1', instrument: 'y' },
          { id: 'bx1', instrument: 'x', deps: ['y1'] },
          { id: 'y2', instrument: 'y', deps: ['y1'] },
          { id: 'y3', instrument: 'y', deps: ['y2'] },
          { id: 'bx2', instrument: 'x', deps: ['y3'] },
        ],
      }),
      { instruments: { x, y } },
    );
    const results = await runAll(conductor, clock, [jobA, jobB]);
    expect(results).not.toBe('stuck');
    const [a, b] = results as JobResult[];
    expect(a!.outcome).toBe('completed');
    expect(b!.outcome).toBe('completed');

    const limitEnd = 10 + 5000;
    expect(x.starts.map((s) => [s.sheetId, s.at])).toEqual([
      ['a1', 0],
      // Nothing of x starts before the limit's end, in either job.
      ['a1', limitEnd],
      ['bx1', limitEnd],
      ['bx2', limitEnd],
    ]);
    // y kept running during the limit.
    expect(y.starts.map((s) => s.at)).toEqual([0, 100, 200]);
    // The rate-limited attempt did not consume one (retries 0).
    expect(a!.sheets[0]).toMatchObject({ state: 'completed', attempts: 1, rateLimited: 1 });

    await settle();
    const limitEvents = events.filter((e) => e.type === 'rate_limit.active' || e.type === 'rate_limit.cleared');
    expect(limitEvents).toEqual([
      { type: 'rate_limit.active', instrument: 'x', untilMs: limitEnd, at: 10 },
      { type: 'rate_limit.cleared', instrument: 'x', at: limitEnd },
    ]);
    expect(events).toContainEqual({ type: 'sheet.waiting', jobId: jobA, sheetId: 'a1', untilMs: limitEnd, at: 10 });
    // B's sheets never went through `waiting`: they were simply not dispatched.
    expect(events.filter((e) => e.type === 'sheet.waiting' && e.jobId === jobB)).toEqual([]);
  });

  it('waiting sheets return to ready on their own when the limit expires', async () => {
    const { clock, conductor } = setup();
    let calls = 0;
    const x = new SimInstrument('x', clock, () => ({ durationMs: 10, outcome: ++calls <= 2 ? rateLimited(3) : ok }));
    const id = conductor.register(buildScore({ instruments: { x: {} }, stages: [{ id: 'w', fanOut: 2 }] }), { instruments: { x } });
    await stepUntil(clock, () => conductor.status(id).counts.waiting === 2);
    expect(clock.now()).toBe(10);
    expect(conductor.rateLimits.isRateLimited('x')).toEqual({ limited: true, remainingMs: 3000 });
    clock.advanceTo(3009);
    await settle();
    expect(conductor.status(id).counts.waiting).toBe(2);
    clock.advanceTo(3010);
    await settle();
    expect(conductor.status(id).counts.waiting).toBe(0);
    expect(x.starts.map((s) => s.at)).toEqual([0, 0, 3010, 3010]);
    const result = await runToEnd(conductor, clock, id);
    expect(result.outcome).toBe('completed');
  });

  it('rateLimits.clear(instrument) lifts waiting sheets at once; an empty or unknown name clears nothing', async () => {
    const { clock, conductor, events } = setup();
    let calls = 0;
    const x = new SimInstrument('x', clock, () => ({ durationMs: 10, outcome: ++calls === 1 ? rateLimited(60) : ok }));
    const y = new SimInstrument('y', clock, () => ({ durationMs: 10, outcome: ok }));
    const id = conductor.register(
      buildScore({ instruments: { x: {}, y: {} }, stages: [{ id: 'a', instrument: 'x' }, { id: 'b', instrument: 'x', deps: ['a'] }] }),
      { instruments: { x, y } },
    );
    await stepUntil(clock, () => stateOf(conductor, id, 'a') === 'waiting');
    clock.advanceTo(1000);
    await settle();

    // isRateLimited / activeLimits reflect the report.
    expect(conductor.rateLimits.isRateLimited('x')).toEqual({ limited: true, remainingMs: 60_010 - 1000 });
    expect(conductor.rateLimits.isRateLimited('y')).toEqual({ limited: false, remainingMs: 0 });
    expect(conductor.rateLimits.activeLimits()).toEqual([
      { instrument: 'x', until: 60_010, reportedAt: 10, source: { jobId: id, sheetId: 'a' } },
    ]);

    expect(conductor.rateLimits.clear('')).toBe(0);
    expect(conductor.rateLimits.clear('unknown')).toBe(0);
    expect(conductor.rateLimits.clear('y')).toBe(0);
    await settle();
    expect(stateOf(conductor, id, 'a')).toBe('waiting');
    expect(conductor.rateLimits.isRateLimited('x').limited).toBe(true);
    expect(x.starts).toHaveLength(1);

    expect(conductor.rateLimits.clear('x')).toBe(1);
    await settle();
    // Lifted without the clock moving: dispatched again at t=1000.
    expect(conductor.rateLimits.isRateLimited('x').limited).toBe(false);
    expect(conductor.rateLimits.activeLimits()).toEqual([]);
    expect(x.starts.map((s) => s.at)).toEqual([10 - 10, 1000]);
    expect(stateOf(conductor, id, 'a')).toBe('running');

    const result = await runToEnd(conductor, clock, id);
    expect(result.outcome).toBe('completed');
    expect(x.starts.map((s) => [s.sheetId, s.at])).toEqual([['a', 0], ['a', 1000], ['b', 1010]]);
    await settle();
    expect(events.filter((e) => e.type === 'rate_limit.cleared')).toEqual([{ type: 'rate_limit.cleared', instrument: 'x', at: 1000 }]);
  });

  it('clear() without a name clears every instrument and lifts every waiting sheet', async () => {
    const { clock, conductor } = setup();
    const seen = new Set<string>();
    const behave = (r: AttemptRequest): Behaviour => {
      const first = !seen.has(r.sheetId);
      seen.add(r.sheetId);
      return { durationMs: 10, outcome: first ? rateLimited(100) : ok };
    };
    const x = new SimInstrument('x', clock, behave);
    const y = new SimInstrument('y', clock, behave);
    const id = conductor.register(
      buildScore({ instruments: { x: {}, y: {} }, stages: [{ id: 'a', instrument: 'x' }, { id: 'b', instrument: 'y' }] }),
      { instruments: { x, y } },
    );
    await stepUntil(clock, () => conductor.status(id).counts.waiting === 2);
    expect(conductor.rateLimits.activeLimits().map((l) => l.instrument)).toEqual(['x', 'y']);
    expect(conductor.rateLimits.clear()).toBe(2);
    await settle();
    expect(conductor.status(id).counts.waiting).toBe(0);
    const result = await runToEnd(conductor, clock, id);
    expect(result.outcome).toBe('completed');
    expect(clock.now()).toBeLessThan(100_000);
  });

  it('a rate-limited attempt does not consume an attempt: retries 0, limited 3 times, then success → completed', async () => {
    const { clock, conductor, events } = setup();
    let calls = 0;
    const x = new SimInstrument('x', clock, () => ({ durationMs: 10, outcome: ++calls <= 3 ? rateLimited(1) : ok }));
    const id = conductor.register(
      buildScore({ instruments: { x: { circuitBreaker: { failures: 1, cooldownMs: 60_000 } } }, stages: [{ id: 'a', retries: 0 }] }),
      { instruments: { x } },
    );
    const result = await runToEnd(conductor, clock, id);
    expect(result.outcome).toBe('completed');
    expect(result.sheets[0]).toMatchObject({ state: 'completed', attempts: 1, rateLimited: 3 });
    expect(result.sheets[0]!.reason).toBeUndefined();
    expect(x.starts.map((s) => [s.attempt, s.at])).toEqual([[1, 0], [1, 1010], [1, 2020], [1, 3030]]);
    await settle();
    expect(events.filter((e) => e.type === 'sheet.waiting')).toHaveLength(3);
    expect(events.find((e) => e.type === 'sheet.completed')).toMatchObject({ sheetId: 'a', attempts: 1, rateLimited: 3 });
    expect(events.filter((e) => e.type === 'sheet.retry')).toEqual([]);
    // Nor does it count as an execution failure for the breaker (failures: 1).
    expect(types(events, 'circuit.')).toEqual([]);
    expect(conductor.breakerState('x')).toBe('closed');
  });

  it('a later report never shortens the limit already in force', async () => {
    const { clock, conductor } = setup();
    const limited = new Set<string>();
    const x = new SimInstrument('x', clock, (r) => {
      const first = !limited.has(r.sheetId);
      limited.add(r.sheetId);
      return { durationMs: r.sheetId === 'long' ? 10 : 20, outcome: first ? rateLimited(r.sheetId === 'long' ? 10 : 1) : ok };
    });
    const id = conductor.register(buildScore({ instruments: { x: {} }, stages: [{ id: 'long' }, { id: 'short' }] }), { instruments: { x } });
    const result = await runToEnd(conductor, clock, id);
    expect(result.outcome).toBe('completed');
    // long limits x until 10_010; short's 1 s report at t=20 would end at 1020 but does not win.
    expect(x.starts.filter((s) => s.at > 0).map((s) => s.at)).toEqual([10_010, 10_010]);
    expect(conductor.rateLimits.history().filter((c) => c.type === 'active')).toHaveLength(1);
  });
});

describe('circuit breakers', () => {
  const breakerScore = (extra: { fallback?: string[]; concurrency?: number } = {}, stages: StageDraft[] = [{ id: 'w', fanOut: 6 }]) =>
    buildScore({
      instruments: {
        x: { circuitBreaker: { failures: 2, cooldownMs: 1000 }, ...extra },
        ...(extra.fallback ? { y: {} } : {}),
      },
      stages: stages.map((s) => ({ instrument: 'x', ...s })),
    });

  it('opens after 2 failures, lets exactly one probe through per cool-down, and reopens with a longer cool-down', async () => {
    const { clock, conductor, events } = setup();
    const x = new SimInstrument('x', clock, () => ({ durationMs: 10, outcome: fail() }));
    const id = conductor.register(breakerScore({ concurrency: 1 }), { instruments: { x } });
    const result = await runAll(conductor, clock, [id]);
    expect(result).not.toBe('stuck');
    expect((result as JobResult[])[0]!.outcome).toBe('failed');
    // 0 and 10: two failures → open at 20 for 1 s. Probe at 1020 fails → open for 2 s,
    // probe at 3030 → 4 s, probe at 7040 → 8 s, probe at 15_050.
    expect(x.starts.map((s) => s.at)).toEqual([0, 10, 1020, 3030, 7040, 15_050]);
    await settle();
    const circuit = events.filter((e) => e.type.startsWith('circuit.'));
    expect(circuit.map((e) => e.type)).toEqual([
      'circuit.open',
      'circuit.half_open',
      'circuit.open',
      'circuit.half_open',
      'circuit.open',
      'circuit.half_open',
      'circuit.open',
      'circuit.half_open',
      'circuit.open',
    ]);
    expect(circuit.filter((e) => e.type === 'circuit.open').map((e) => (e.type === 'circuit.open' ? e.reopenAt - e.at : 0))).toEqual([
      1000, 2000, 4000, 8000, 10_000,
    ]);
    expect(conductor.breakerState('x')).toBe('open');
  });

  it('half-open lets one probe through; its success closes the circuit and lets several run at once again', async () => {
    const { clock, conductor, events } = setup();
    let probeStates: string[] = [];
    const x = new SimInstrument(
      'x',
      clock,
      () => ({ durationMs: 10, outcome: clock.now() < 1000 ? fail() : ok }),
      { onStart: () => probeStates.push(conductor.breakerState('x')) },
    );
    const id = conductor.register(breakerScore({}, [{ id: 'w', fanOut: 5, retries: 3, backoff: { initialMs: 100, factor: 1 } }]), {
      instruments: { x },
    });
    // Five start at 0 and fail at 10: the circuit opens (cool-down 1 s, until 1010).
    await stepUntil(clock, () => conductor.breakerState('x') === 'open');
    expect(clock.now()).toBe(10);
    probeStates = [];
    const result = await runAll(conductor, clock, [id]);
    expect(result).not.toBe('stuck');
    expect((result as JobResult[])[0]!.outcome).toBe('completed');
    const after = x.starts.filter((s) => s.at > 0);
    // Nothing between the opening and the cool-down's end; then exactly one probe …
    expect(after.filter((s) => s.at < 1010)).toEqual([]);
    expect(after.filter((s) => s.at === 1010)).toHaveLength(1);
    expect(probeStates[0]).toBe('halfOpen');
    // … and once it succeeded (at 1020), the four others at once.
    expect(after.filter((s) => s.at === 1020)).toHaveLength(4);
    expect(conductor.breakerState('x')).toBe('closed');
    await settle();
    expect(types(events, 'circuit.')).toEqual(['circuit.open', 'circuit.half_open', 'circuit.closed']);
  });

  it('moves ready sheets to their fallback instrument while the circuit is open (sheet.fallback, reason unavailable)', async () => {
    const { clock, conductor, events } = setup();
    const x = new SimInstrument('x', clock, () => ({ durationMs: 10, outcome: clock.now() < 1000 ? fail() : ok }));
    const y = new SimInstrument('y', clock, () => ({ durationMs: 10, outcome: ok }));
    const score = breakerScore({ concurrency: 1, fallback: ['y'] }, [{ id: 'w', fanOut: 5, retries: 1, backoff: { initialMs: 100, factor: 1 } } ]);
    const id = conductor.register(score, { instruments: { x, y } });
    const result = await runAll(conductor, clock, [id]);
    expect(result).not.toBe('stuck');
    const job = (result as JobResult[])[0]!;
    expect(job.outcome).toBe('completed');
    // w.1 fails at 10, w.2 at 20: the circuit opens at 20 with w.3 … w.5 ready on x. w.1 and
    // w.2 come back from their retry (at 110, 120) while it is still open: they move on too.
    expect(x.starts.filter((s) => s.at > 20 && s.at < 1020)).toEqual([]);
    expect(y.starts.map((s) => [s.sheetId, s.at, s.attempt])).toEqual([
      ['w.3', 20, 1],
      ['w.4', 20, 1],
      ['w.5', 20, 1],
      ['w.1', 110, 1],
      ['w.2', 120, 1],
    ]);
    await settle();
    const fallbacks = events.filter((e) => e.type === 'sheet.fallback');
    expect(fallbacks.map((e) => (e.type === 'sheet.fallback' ? [e.sheetId, e.from, e.to, e.reason] : []))).toEqual([
      ['w.3', 'x', 'y', 'unavailable'],
      ['w.4', 'x', 'y', 'unavailable'],
      ['w.5', 'x', 'y', 'unavailable'],
      ['w.1', 'x', 'y', 'unavailable'],
      ['w.2', 'x', 'y', 'unavailable'],
    ]);
    const sheets = Object.fromEntries(job.sheets.map((s) => [s.id, s]));
    expect(sheets['w.3']).toMatchObject({ instrument: 'y', state: 'completed', attempts: 1 });
  });

  it('a sheet with no fallback waits while the circuit is open and eventually runs: the job ends', async () => {
    const { clock, conductor } = setup();
    // Fails until t=500, then works: the breaker opens at 20, the probe at 1020 closes it.
    const x = new SimInstrument('x', clock, () => ({ durationMs: 10, outcome: clock.now() < 500 ? fail() : ok }));
    const y = new SimInstrument('y', clock, () => ({ durationMs: 10, outcome: ok }));
    const score = buildScore({
      instruments: { x: { circuitBreaker: { failures: 2, cooldownMs: 1000 }, concurrency: 1 }, y: {} },
      stages: [
        { id: 'p', instrument: 'x', fanOut: 2, retries: 3, backoff: { initialMs: 10, factor: 1 } },
        { id: 'late', instrument: 'x', deps: ['q'] },
        { id: 'q', instrument: 'y' },
      ],
    });
    const id = conductor.register(score, { instruments: { x, y } });
    const result = await runAll(conductor, clock, [id]);
    expect(result).not.toBe('stuck');
    const job = (result as JobResult[])[0]!;
    expect(job.outcome).toBe('completed');
    // `late` became ready at 10 (behind p.2 on x's single slot), then waited out the open
    // circuit (20 … 1020) and went through as its probe.
    expect(x.starts.map((s) => [s.sheetId, s.at])).toEqual([['p.1', 0], ['p.2', 10], ['late', 1020], ['p.1', 1030], ['p.2', 1040]]);
    expect(job.sheets.every((s) => s.state === 'completed')).toBe(true);
  });

  it('a sheet that becomes ready while the circuit is open also moves to its fallback', async () => {
    const { clock, conductor } = setup();
    const x = new SimInstrument('x', clock, () => ({ durationMs: 10, outcome: fail() }));
    const y = new SimInstrument('y', clock, () => ({ durationMs: 10, outcome: ok }));
    const score = breakerScore({ concurrency: 1, fallback: ['y'] }, [
      { id: 'w', fanOut: 2, retries: 3, backoff: { initialMs: 100, factor: 1 } },
    ]);
    // Cool-down of 1 min: the retries are due long before it ends.
    score.instruments.x!.circuitBreaker = { failures: 2, cooldownMs: 60_000 };
    const id = conductor.register(score, { instruments: { x, y } });
    const result = await runAll(conductor, clock, [id]);
    expect(result).not.toBe('stuck');
    // w.1 fails at 10 and w.2 at 20 (the circuit opens, for 1 min); their retries are due
    // at 110 and 120, on x, whose circuit is open: they should go to y then, not wait for the
    // probe at 60_020 and fail on x first. (Today: w.1 is the probe at 60_020, 180_030 and
    // 420_040 and reaches y only at 420_050, its attempts on x used up; w.2 waits until the
    // circuit reopens at 60_030, when `moveOff` finally sees it in a ready queue.)
    expect(x.starts.map((s) => [s.sheetId, s.at])).toEqual([['w.1', 0], ['w.2', 10]]);
    expect(y.starts.map((s) => [s.sheetId, s.at])).toEqual([['w.1', 110], ['w.2', 120]]);
  });

  it('a half-open probe that comes back rate-limited does not leave the instrument blocked forever', async () => {
    const { clock, conductor } = setup();
    let calls = 0;
    const x = new SimInstrument('x', clock, () => {
      calls++;
      if (calls === 1) return { durationMs: 10, outcome: fail() };
      if (calls === 2) return { durationMs: 10, outcome: rateLimited(1) };
      return { durationMs: 10, outcome: ok };
    });
    const score = buildScore({
      instruments: { x: { circuitBreaker: { failures: 1, cooldownMs: 1000 } } },
      stages: [{ id: 'a', retries: 2, backoff: { initialMs: 10, factor: 1 } }, { id: 'b', deps: ['a'] }],
    });
    const id = conductor.register(score, { instruments: { x } });
    const result = await runAll(conductor, clock, [id]);
    expect(result).not.toBe('stuck');
    expect((result as JobResult[])[0]!.outcome).toBe('completed');
  });

  it('a late failure of an attempt started before the opening does not let a second probe start', async () => {
    const { clock, conductor } = setup();
    const x = new SimInstrument('x', clock, (r) => {
      if (r.sheetId === 'slow') return { durationMs: r.attempt === 1 ? 200 : 10, outcome: r.attempt === 1 ? fail() : ok };
      // `fast`: fails at 10 (opens the circuit), then is the probe from 110 to 1110.
      return { durationMs: r.attempt === 1 ? 10 : 1000, outcome: r.attempt === 1 ? fail() : ok };
    });
    const score = buildScore({
      instruments: { x: { circuitBreaker: { failures: 1, cooldownMs: 100 } } },
      stages: [
        { id: 'fast', retries: 1, backoff: { initialMs: 10, factor: 1 } },
        { id: 'slow', retries: 1, backoff: { initialMs: 10, factor: 1 } },
      ],
    });
    const id = conductor.register(score, { instruments: { x } });
    const result = await runAll(conductor, clock, [id]);
    expect(result).not.toBe('stuck');
    // slow's first attempt (0 … 200) is older than the opening at 10: its failure at 200 must
    // not count. Expected: the probe closes the circuit at 1110, then slow retries. Today slow's
    // retry starts at 400 as a second "probe" while fast's probe runs until 1110.
    expect(x.starts.map((s) => [s.sheetId, s.at])).toEqual([['fast', 0], ['slow', 0], ['fast', 110], ['slow', 1110]]);
  });

  it("cancelling the job that holds the half-open probe does not block the instrument for other jobs", async () => {
    const { clock, conductor } = setup();
    const x = new SimInstrument('x', clock, (r) => ({
      durationMs: r.jobId === probeJob ? 10_000 : 10,
      outcome: clock.now() < 10 ? fail() : ok,
    }));
    const instruments = { x: { circuitBreaker: { failures: 1, cooldownMs: 1000 } } };
    const probeJob = conductor.register(buildScore({ instruments, stages: [{ id: 'p', retries: 1, backoff: { initialMs: 10, factor: 1 } }] }), {
      instruments: { x },
    });
    await stepUntil(clock, () => conductor.breakerState('x') === 'halfOpen' && x.inFlight === 1);
    const other = conductor.register(buildScore({ name: 'other', instruments, stages: [{ id: 'o' }] }), { instruments: { x } });
    conductor.cancel(probeJob);
    const result = await runAll(conductor, clock, [other]);
    expect(result).not.toBe('stuck');
    expect((result as JobResult[])[0]!.outcome).toBe('completed');
  });
});

describe('budgets, pacing, healing and fermata', () => {
  const costly = (costUsd: number, status: 'success' | 'failure' = 'success'): AttemptOutcome => ({ status, costUsd, ...(status === 'failure' ? { error: 'x' } : {}) });

  it('job budget: nothing new starts once spent ≥ budget, running attempts finish, the job pauses with reason budget', async () => {
    const { clock, conductor, events } = setup();
    const x = new SimInstrument('x', clock, (r) => ({ durationMs: r.sheetId === 'slow' ? 500 : 10, outcome: costly(0.3) }));
    const score = buildScore({
      budgetUsd: 0.5,
      instruments: { x: {} },
      stages: [{ id: 'slow' }, { id: 'a' }, { id: 'b', deps: ['a'] }, { id: 'c', deps: ['b'] }, { id: 'd', deps: ['c'] }],
    });
    const id = conductor.register(score, { instruments: { x } });
    const result = await runToEnd(conductor, clock, id);
    expect(result.outcome).toBe('paused');
    expect(result.state).toBe('paused');
    expect(result.pauseReasons).toEqual(['budget']);
    // a (0.3) then b (0.6 ≥ 0.5): c never starts; slow, running all along, finishes.
    expect(x.starts.map((s) => s.sheetId)).toEqual(['slow', 'a', 'b']);
    expect(result.costUsd).toBeCloseTo(0.9);
    const states = Object.fromEntries(result.sheets.map((s) => [s.id, s.state]));
    expect(states).toEqual({ slow: 'completed', a: 'completed', b: 'completed', c: 'ready', d: 'pending' });
    await settle();
    expect(events).toContainEqual(expect.objectContaining({ type: 'job.paused', reason: 'budget' }));
    // While the budget is spent, only raising it lifts the pause.
    expect(() => conductor.resume(id, 'budget')).toThrow(BudgetSpentError);
    conductor.setBudget(id, 0.8);
    expect(conductor.status(id).pauseReasons).toEqual(['budget']);
    await runToEnd(conductor, clock, id);
    expect(x.starts.map((s) => s.sheetId)).toEqual(['slow', 'a', 'b']);
    conductor.setBudget(id, 5);
    const done = await runToEnd(conductor, clock, id);
    expect(done.outcome).toBe('completed');
    expect(x.starts.map((s) => s.sheetId)).toEqual(['slow', 'a', 'b', 'c', 'd']);
  });

  it('sheet budget: checked after every attempt; an exceeded sheet fails with reason budget', async () => {
    const { clock, conductor } = setup();
    const x = new SimInstrument('x', clock, () => ({ durationMs: 10, outcome: costly(0.2, 'failure') }));
    const id = conductor.register(
      buildScore({ instruments: { x: {} }, stages: [{ id: 'a', retries: 5, budgetUsd: 0.5, backoff: { initialMs: 10 } }] }),
      { instruments: { x } },
    );
    const result = await runToEnd(conductor, clock, id);
    // 0.2, 0.4, then 0.6 > 0.5 after the third attempt.
    expect(result.sheets[0]).toMatchObject({ state: 'failed', reason: 'budget', attempts: 3 });
    expect(result.sheets[0]!.costUsd).toBeCloseTo(0.6);
  });

  it('pacing: a minimum gap between two dispatches of a job, whatever the free slots', async () => {
    const { clock, conductor } = setup();
    const x = new SimInstrument('x', clock, () => ({ durationMs: 10, outcome: ok }));
    const id = conductor.register(buildScore({ pacingMs: 500, instruments: { x: {} }, stages: [{ id: 'w', fanOut: 4 }] }), {
      instruments: { x },
    });
    const result = await runToEnd(conductor, clock, id);
    expect(result.outcome).toBe('completed');
    const at = x.starts.map((s) => s.at);
    expect(at).toHaveLength(4);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(500);
  });

  it('heal: one extra attempt in mode healing after the normal ones, then fermata with sheet.fermata', async () => {
    const { clock, conductor, events } = setup();
    const x = new SimInstrument('x', clock, (r) => ({ durationMs: 10, outcome: r.sheetId === 'bad' ? fail('nope') : ok }));
    const score = buildScore({
      instruments: { x: {} },
      stages: [
        { id: 'bad', retries: 1, heal: true, escalate: true, backoff: { initialMs: 10 } },
        { id: 'after', deps: ['bad'] },
        { id: 'other' },
        { id: 'other2', deps: ['other'] },
      ],
    });
    const id = conductor.register(score, { instruments: { x } });
    const held = await runToEnd(conductor, clock, id);
    expect(held.outcome).toBe('held');
    expect(held.state).toBe('running');
    const states = Object.fromEntries(held.sheets.map((s) => [s.id, s.state]));
    // The job kept running the others, but cannot finish while the fermata is open.
    expect(states).toEqual({ bad: 'fermata', after: 'pending', other: 'completed', other2: 'completed' });
    await settle();
    const modes = events.filter((e) => e.type === 'sheet.dispatched' && e.sheetId === 'bad').map((e) => (e.type === 'sheet.dispatched' ? e.mode : ''));
    expect(modes).toEqual(['normal', 'normal', 'healing']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'sheet.fermata', sheetId: 'bad', reason: 'failed', error: 'nope' }));
    expect(events.some((e) => e.type === 'job.completed')).toBe(false);
    conductor.decide(id, 'bad', 'accept');
    const done = await runToEnd(conductor, clock, id);
    expect(done.outcome).toBe('completed');
  });
});
