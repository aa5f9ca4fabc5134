/**
 * The gate seam: what every gate says is folded into what the planner reads, and each gate
 * hears how attempts end and keeps its state under its own name. The registry is driven
 * here with a gate written for the test (a quota), as a new gate would be added.
 */
import { describe, expect, it } from 'vitest';
import { Conductor, VirtualClock } from '../../src/index.js';
import { EventBus } from '../../src/runtime/event-bus.js';
import { BUILT_IN_GATES } from '../../src/runtime/gates/built-in.js';
import type { Gate, GateBlock, GatedAttempt, GateHost, GateKind } from '../../src/runtime/gates/gate.js';
import { Gates, type GatesHost } from '../../src/runtime/gates/gates.js';
import { rateLimitGate } from '../../src/runtime/gates/rate-limit-gate.js';
import { buildScore } from '../support/build-score.js';
import { runToEnd, SimInstrument } from '../support/virtual-run.js';
import { AttemptAbort } from '../../src/actors/attempt-abort.js';

/** At most `limit` attempts per instrument, ever: a gate that admits what is left of its quota. */
class QuotaGate implements Gate {
  readonly used = new Map<string, number>();
  constructor(
    private readonly host: GateHost,
    private readonly limit: number,
  ) {}
  blocks(instrument: string, model: string | undefined): GateBlock | undefined {
    if (model !== undefined || !this.used.has(instrument)) return undefined;
    return { admits: Math.max(0, this.limit - this.used.get(instrument)!), reason: 'quota_spent' };
  }
  started(attempt: GatedAttempt): void {
    this.used.set(attempt.instrument, (this.used.get(attempt.instrument) ?? 0) + 1);
    this.host.changed(attempt.instrument);
  }
  ended(): undefined {
    return undefined;
  }
  snapshot(instruments: ReadonlySet<string>): Record<string, number> {
    return Object.fromEntries([...this.used].filter(([name]) => instruments.has(name)));
  }
  restore(state: unknown): void {
    for (const [name, used] of Object.entries(state as Record<string, number>)) {
      if (this.used.has(name)) continue;
      this.used.set(name, used);
      this.host.changed(name);
    }
  }
}

const quotaGate = (limit: number): GateKind<QuotaGate> => ({
  name: 'quotas',
  create: (host) => new QuotaGate(host, limit),
  status: (state) => ({ json: Object.entries(state as Record<string, number>), lines: [] }),
});

function gatesWith(kinds: readonly GateKind[]): { gates: Gates; host: GatesHost; calls: string[] } {
  const calls: string[] = [];
  const host: GatesHost = {
    clock: new VirtualClock(),
    bus: new EventBus(),
    inspect: undefined,
    wake: () => calls.push('wake'),
    persist: () => calls.push('persist'),
    unavailable: (instrument, error) => calls.push(`unavailable ${instrument}: ${error}`),
    lifted: (instrument, model) => calls.push(`lifted ${instrument}/${model ?? ''}`),
    post: (work: () => void) => work(),
  };
  return { gates: new Gates(host, kinds), host, calls };
}

const attempt = (instrument: string, sheetId = 's'): GatedAttempt => ({ jobId: 'j', sheetId, instrument, model: undefined, abort: new AttemptAbort() });

describe('the gate seam', () => {
  it('folds what every gate says into one block per instrument: the one admitting fewest, the earlier gate on a tie', () => {
    const quota = quotaGate(2);
    const { gates, calls } = gatesWith([...BUILT_IN_GATES, quota]);
    void gates.started(attempt('ai'));
    expect(gates.blocks.get('ai')).toEqual({ admits: 1, reason: 'quota_spent' });
    expect(calls).toEqual(['persist', 'wake']);
    void gates.started(attempt('ai'));
    expect(gates.blocks.get('ai')).toEqual({ admits: 0, reason: 'quota_spent' });
    gates.of(rateLimitGate).limits.report('ai', 5_000, { jobId: 'j', sheetId: 's' });
    // Both admit none now: the rate limit, registered first, gives the reason.
    expect(gates.blocks.get('ai')).toEqual({ admits: 0, reason: 'rate_limited' });
  });

  it("keeps each gate's state under its own name, and brings it back into a new conductor's gates", () => {
    const quota = quotaGate(5);
    const first = gatesWith([...BUILT_IN_GATES, quota]).gates;
    void first.started(attempt('ai'));
    void first.started(attempt('sh'));
    const state = first.snapshot(new Set(['ai']));
    expect(state).toEqual({ rateLimits: [], breakers: [], quotas: { ai: 1 } });
    const second = gatesWith([...BUILT_IN_GATES, quota]).gates;
    second.restore(state);
    expect(second.of(quota).used).toEqual(new Map([['ai', 1]]));
    expect(second.blocks.get('ai')).toEqual({ admits: 4, reason: 'quota_spent' });
  });

  it('answers an ended attempt with the latest time any gate holds its sheet', () => {
    const { gates } = gatesWith(BUILT_IN_GATES);
    const at = 0;
    const held = gates.ended(attempt('ai'), { health: 'none', rateLimitWaitMs: 30_000, spec: undefined, at });
    expect(held).toBe(30_000);
    // A shorter report does not shorten the limit in force.
    expect(gates.ended(attempt('ai', 't'), { health: 'none', rateLimitWaitMs: 1_000, spec: undefined, at })).toBe(30_000);
    expect(gates.ended(attempt('sh'), { health: 'success', spec: undefined, at })).toBeUndefined();
  });

  it('announces an instrument as unavailable once when its circuit opens, and again after it reopens', () => {
    const { gates, host, calls } = gatesWith(BUILT_IN_GATES);
    const spec = buildScore({ instruments: { ai: { circuitBreaker: { failures: 1, cooldownMs: 1_000 } } }, stages: [{ id: 'a' }] }).instruments.ai;
    const fail = (sheetId: string) => gates.ended(attempt('ai', sheetId), { health: 'failure', spec, at: host.clock.now() });
    fail('a');
    const error = 'the circuit of instrument "ai" is open';
    expect(gates.unavailable('ai')).toBe(error);
    expect(gates.blocks.get('ai')).toMatchObject({ admits: 0, reason: 'circuit_open' });
    (host.clock as VirtualClock).advanceBy(1_000);
    expect(gates.unavailable('ai')).toBeUndefined();
    expect(gates.blocks.get('ai')).toEqual({ admits: 1, reason: 'circuit_open' });
    const probe = attempt('ai', 'probe');
    void gates.started(probe);
    expect(gates.blocks.get('ai')).toEqual({ admits: 0, reason: 'circuit_open' });
    gates.ended(probe, { health: 'failure', spec, at: host.clock.now() });
    expect(calls.filter((call) => call.startsWith('unavailable'))).toEqual([`unavailable ai: ${error}`, `unavailable ai: ${error}`]);
  });
});

describe('rate limits through the conductor', () => {
  it("holds a model back by its own limit after the instrument-wide limit has ended", async () => {
    const clock = new VirtualClock();
    const conductor = new Conductor({ clock });
    const ai = new SimInstrument('ai', clock, () => ({ durationMs: 10, outcome: { status: 'success' } }));
    const score = buildScore({
      instruments: { ai: { models: { m1: {}, m2: {} } } },
      stages: [
        { id: 'one', model: 'm1' },
        { id: 'two', model: 'm2' },
      ],
    });
    conductor.rateLimits.report('ai', 1_000, { jobId: 'elsewhere', sheetId: 'x' });
    conductor.rateLimits.report('ai', 10_000, { jobId: 'elsewhere', sheetId: 'y', model: 'm1' });
    const id = conductor.register(score, { instruments: { ai } });
    const result = await runToEnd(conductor, clock, id);
    await conductor.shutdown();
    expect(result.outcome).toBe('completed');
    expect(ai.starts.map((s) => `${s.sheetId}@${s.at}`)).toEqual(['two@1000', 'one@10000']);
  });
});
