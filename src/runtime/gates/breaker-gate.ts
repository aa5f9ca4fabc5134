import type { Subscription } from 'rxjs';
import { createBreakerActor, restoreBreakerActor, type BreakerActor } from '../../actors/breaker-actor.js';
import { breakerAllows, type BreakerContext, type BreakerEvent, type BreakerState } from '../../machines/breaker.js';
import { sameBreaker, type BreakerData } from '../../machines/breaker-step.js';
import type { CircuitBreakerSpec } from '../../score/types.js';
import { BreakerSharing, probeKey } from './breaker-sharing.js';
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
  /** Set when breakers are shared with other conductors through a coordination backend. */
  private readonly sharing: BreakerSharing | undefined;
  /** The probe slot each shared probe holds. */
  private readonly probeHolders = new Map<GatedAttempt, string>();

  constructor(private readonly host: GateHost) {
    if (host.shared !== undefined) {
      this.sharing = new BreakerSharing(host.shared, host.instruments, { mirror: (instrument, data) => this.mirror(instrument, data), local: (instrument) => this.data(instrument) }, host.clock);
    }
  }

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

  /**
   * The first attempt dispatched to a half-open circuit is its probe. A shared circuit has
   * one probe across every conductor: the probe slot is taken from the backend before the
   * attempt starts, and an attempt that loses that race waits for the circuit's next verdict.
   */
  started(attempt: GatedAttempt): void | Promise<void> {
    if (this.breakers.size === 0) return;
    const actor = this.breakers.get(attempt.instrument);
    if (actor === undefined || breakerAllows(actor.getSnapshot()) !== 'one') return;
    this.probes.add(attempt);
    actor.send({ type: 'PROBE_STARTED' });
    const shared = this.host.shared;
    if (shared === undefined) return;
    const key = probeKey(this.host.instruments.identity(attempt.instrument));
    const holder = shared.holder();
    return shared.admit(attempt.abort, async () => {
      const state = this.state(attempt.instrument);
      if (state === 'open') return false;
      if (state === 'closed') {
        // Closed meanwhile (another conductor's probe succeeded): an ordinary attempt.
        this.probes.delete(attempt);
        return true;
      }
      const granted = await shared.claim(key, holder, 1);
      if (granted === true) this.probeHolders.set(attempt, holder);
      return granted;
    });
  }

  /**
   * A closed circuit counts every verdict; once it has opened, only the probe's counts — an
   * attempt started before the circuit opened says nothing about the instrument now — and
   * a probe without a verdict frees the probe slot.
   */
  ended(attempt: GatedAttempt, verdict: AttemptVerdict): undefined {
    const probe = this.probes.delete(attempt);
    const holder = this.probeHolders.get(attempt);
    if (holder !== undefined) this.probeHolders.delete(attempt);
    const { instrument } = attempt;
    const spec = verdict.spec?.circuitBreaker ?? this.host.instruments.spec(instrument)?.circuitBreaker;
    const actor = verdict.health === 'failure' && this.sharing === undefined ? this.breaker(instrument, spec) : this.breakers.get(instrument);
    const state = actor?.getSnapshot();
    if (state !== undefined && state.value !== 'closed' && !probe) return undefined;
    const event: BreakerEvent | undefined =
      verdict.health === 'failure' ? { type: 'FAILURE', at: verdict.at } : verdict.health === 'success' ? { type: 'SUCCESS' } : probe ? { type: 'PROBE_ENDED' } : undefined;
    if (event === undefined) return undefined;
    const freeProbe = (): void => {
      if (holder !== undefined) this.host.shared?.release(probeKey(this.host.instruments.identity(instrument)), holder);
    };
    // A success on a closed circuit with nothing counted changes nothing, here or shared.
    const idle = event.type === 'SUCCESS' && (state === undefined || (state.value === 'closed' && state.context.consecutiveFailures === 0));
    if (this.sharing === undefined || spec === undefined || event.type === 'PROBE_ENDED' || idle) {
      actor?.send(event);
      freeProbe();
      return undefined;
    }
    const input = { failures: spec.failures, cooldownMs: spec.cooldownMs };
    // The probe slot is freed once its verdict is written, so no other probe starts before it counts.
    void this.sharing.step(instrument, input, event).then((shared) => {
      if (!shared) (this.breakers.get(instrument) ?? this.breaker(instrument, spec))?.send(event);
      freeProbe();
    });
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

  /** A shared breaker as the backend has it now (undefined: closed, nothing counted). */
  private mirror(instrument: string, data: BreakerData | undefined): void {
    const actor = this.breakers.get(instrument);
    const before = this.data(instrument);
    if (data === undefined) {
      if (before === undefined || (before.value === 'closed' && before.context.consecutiveFailures === 0)) return;
      data = { value: 'closed', context: { ...before.context, consecutiveFailures: 0, opens: 0, openedAt: null, reopenAt: null, cooldownMs: null, probeInFlight: false } };
    }
    if (sameBreaker(before, data)) return;
    actor?.stop();
    this.adopt(instrument, restoreBreakerActor(instrument, data.value, data.context, this.host.inspect), before?.value ?? 'closed');
    if (data.value === 'open') this.scheduleCooldown(instrument, data.context.reopenAt ?? this.host.clock.now());
    else {
      this.cooldowns.get(instrument)?.unsubscribe();
      this.cooldowns.delete(instrument);
    }
  }

  private data(instrument: string): BreakerData | undefined {
    const snapshot = this.breakers.get(instrument)?.getSnapshot();
    return snapshot === undefined ? undefined : { value: snapshot.value as BreakerState, context: snapshot.context };
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

  /** A shared circuit half-opens for every conductor at once: the first to see its cool-down end steps it. */
  private cooldownElapsed(instrument: string): void {
    const actor = this.breakers.get(instrument);
    if (actor === undefined) return;
    const { context } = actor.getSnapshot();
    if (this.sharing === undefined) {
      actor.send({ type: 'COOLDOWN_ELAPSED' });
      return;
    }
    void this.sharing.step(instrument, { failures: context.failures, cooldownMs: context.baseCooldownMs }, { type: 'COOLDOWN_ELAPSED' }).then((shared) => {
      if (!shared) this.breakers.get(instrument)?.send({ type: 'COOLDOWN_ELAPSED' });
    });
  }

  private scheduleCooldown(instrument: string, reopenAt: number): void {
    this.cooldowns.get(instrument)?.unsubscribe();
    const delay = Math.max(0, reopenAt - this.host.clock.now());
    this.cooldowns.set(
      instrument,
      this.host.clock.schedule(() => {
        this.cooldowns.delete(instrument);
        this.cooldownElapsed(instrument);
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
