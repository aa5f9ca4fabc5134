import type { Subscription } from 'rxjs';
import { createBreakerActor, restoreBreakerActor, type BreakerActor } from '../../actors/breaker-actor.js';
import { breakerAllows, type BreakerContext, type BreakerState } from '../../machines/breaker.js';
import type { CircuitBreakerSpec } from '../../score/types.js';
import type { AttemptVerdict, Gate, GateBlock, GatedAttempt, GateHost, GateKind, GateStatus } from './gate.js';

/** A circuit breaker's machine state, to restore its cool-down deadline after a restart. */
export interface BreakerRow {
  instrument: string;
  state: BreakerState;
  /** The breaker machine's context (JSON). */
  context: unknown;
}

/**
 * Circuit breakers as a gate: one breaker machine per instrument, created by the first
 * execution failure of an instrument whose score gives it a `circuit_breaker`. While open
 * nothing is dispatched to the instrument and sheets with a fallback move on; after the
 * cool-down (a timer on the conductor's clock) exactly one probe goes through, whose verdict
 * closes or reopens it.
 */
export class BreakerGate implements Gate {
  private readonly breakers = new Map<string, BreakerActor>();
  private readonly cooldowns = new Map<string, Subscription>();
  /** The attempts let through as half-open probes: only their verdicts count while not closed. */
  private readonly probes = new Set<GatedAttempt>();

  constructor(private readonly host: GateHost) {}

  /** The state of an instrument's breaker; `closed` when it has none. */
  state(instrument: string): BreakerState {
    return (this.breakers.get(instrument)?.getSnapshot().value as BreakerState | undefined) ?? 'closed';
  }

  blocks(instrument: string, model: string | undefined): GateBlock | undefined {
    const actor = model === undefined ? this.breakers.get(instrument) : undefined;
    if (actor === undefined) return undefined;
    const snapshot = actor.getSnapshot();
    switch (breakerAllows(snapshot)) {
      case 'any':
        return undefined;
      case 'one':
        return { admits: 1, reason: 'circuit_open' };
      default:
        return snapshot.value === 'open'
          ? { admits: 0, reason: 'circuit_open', unavailable: `the circuit of instrument "${instrument}" is open` }
          : { admits: 0, reason: 'circuit_open' };
    }
  }

  /** The first attempt dispatched to a half-open circuit is its probe. */
  started(attempt: GatedAttempt): void {
    if (this.breakers.size === 0) return;
    const actor = this.breakers.get(attempt.instrument);
    if (actor === undefined || breakerAllows(actor.getSnapshot()) !== 'one') return;
    this.probes.add(attempt);
    actor.send({ type: 'PROBE_STARTED' });
  }

  /**
   * A closed circuit counts every verdict; once it has opened, only the probe's counts — an
   * attempt started before the circuit opened says nothing about the instrument now — and
   * a probe without a verdict frees the probe slot.
   */
  ended(attempt: GatedAttempt, verdict: AttemptVerdict): undefined {
    const probe = this.probes.delete(attempt);
    const { instrument } = attempt;
    const actor = verdict.health === 'failure' ? this.breaker(instrument, verdict.spec?.circuitBreaker) : this.breakers.get(instrument);
    if (actor === undefined) return undefined;
    if (actor.getSnapshot().value !== 'closed' && !probe) return undefined;
    if (verdict.health === 'failure') actor.send({ type: 'FAILURE', at: verdict.at });
    else if (verdict.health === 'success') actor.send({ type: 'SUCCESS' });
    else if (probe) actor.send({ type: 'PROBE_ENDED' });
    return undefined;
  }

  snapshot(instruments: ReadonlySet<string>): BreakerRow[] {
    const rows: BreakerRow[] = [];
    for (const [instrument, actor] of this.breakers) {
      if (!instruments.has(instrument)) continue;
      const snapshot = actor.getSnapshot();
      rows.push({ instrument, state: snapshot.value as BreakerState, context: snapshot.context });
    }
    return rows;
  }

  /**
   * Breakers come back with their cool-down deadlines. A probe that was in flight died with
   * the previous process, so a half-open breaker lets a new one through. A breaker this
   * conductor already has wins.
   */
  restore(state: unknown): void {
    const now = this.host.clock.now();
    for (const row of rows(state)) {
      if (this.breakers.has(row.instrument)) continue;
      const context = { ...(row.context as BreakerContext), probeInFlight: false };
      this.adopt(row.instrument, restoreBreakerActor(row.instrument, row.state, context, this.host.inspect), row.state);
      if (row.state === 'open') this.scheduleCooldown(row.instrument, context.reopenAt ?? now);
    }
  }

  dispose(): void {
    for (const timer of this.cooldowns.values()) timer.unsubscribe();
    for (const actor of this.breakers.values()) actor.stop();
  }

  private breaker(instrument: string, spec: CircuitBreakerSpec | undefined): BreakerActor | undefined {
    let actor = this.breakers.get(instrument);
    if (actor === undefined && spec !== undefined) {
      actor = createBreakerActor(instrument, { failures: spec.failures, cooldownMs: spec.cooldownMs }, this.host.inspect);
      this.adopt(instrument, actor, 'closed');
    }
    return actor;
  }

  private adopt(instrument: string, actor: BreakerActor, initial: BreakerState): void {
    // Registered before `start()`, which already delivers the first snapshot.
    this.breakers.set(instrument, actor);
    let last = { state: initial, failures: -1, probe: false };
    actor.subscribe((snapshot) => {
      const state = snapshot.value as BreakerState;
      const { consecutiveFailures: failures, probeInFlight: probe } = snapshot.context;
      const moved = state !== last.state;
      const changed = moved || failures !== last.failures || probe !== last.probe;
      last = { state, failures, probe };
      if (changed) this.host.changed(instrument);
      if (moved) this.announce(instrument, state, snapshot.context);
    });
    actor.start();
  }

  private announce(instrument: string, state: BreakerState, context: BreakerContext): void {
    const at = this.host.clock.now();
    const { bus } = this.host;
    if (state === 'open') {
      const reopenAt = context.reopenAt ?? at;
      this.scheduleCooldown(instrument, reopenAt);
      if (bus.observed) bus.emit({ type: 'circuit.open', instrument, reopenAt, at });
    } else if (state === 'halfOpen') {
      if (bus.observed) bus.emit({ type: 'circuit.half_open', instrument, at });
    } else if (bus.observed) {
      bus.emit({ type: 'circuit.closed', instrument, at });
    }
  }

  private scheduleCooldown(instrument: string, reopenAt: number): void {
    this.cooldowns.get(instrument)?.unsubscribe();
    const delay = Math.max(0, reopenAt - this.host.clock.now());
    this.cooldowns.set(
      instrument,
      this.host.clock.schedule(() => {
        this.cooldowns.delete(instrument);
        this.breakers.get(instrument)?.send({ type: 'COOLDOWN_ELAPSED' });
      }, delay),
    );
  }
}

function rows(state: unknown): BreakerRow[] {
  return Array.isArray(state) ? (state as BreakerRow[]) : [];
}

export const breakerGate: GateKind<BreakerGate> = {
  name: 'breakers',
  create: (host) => new BreakerGate(host),
  status(state: unknown): GateStatus {
    const tripped = rows(state).filter((breaker) => breaker.state !== 'closed');
    return {
      json: tripped.map((b) => ({ instrument: b.instrument, state: b.state })),
      lines: tripped.map((b) => `circuit ${b.state === 'open' ? 'open' : 'half-open'}: ${b.instrument}`),
    };
  },
};
