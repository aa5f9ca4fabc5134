import type { Subscription } from 'rxjs';
import { createActor, type Actor, type InspectionEvent, type Observer } from 'xstate';
import { breakerAllows, breakerMachine, type BreakerContext, type BreakerEvent } from '../../machines/breaker.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../event-bus.js';
import { modelKey, type Gate } from '../dispatch/plan-dispatch.js';
import { RateLimitCoordinator, type RateLimitChange, type RateLimitSource } from './rate-limits.js';
import type { CircuitBreakerSpec } from '../../score/types.js';
import type { BreakerRow, PolicyState, RateLimitRow } from '../../store/types.js';

export interface InstrumentGatesHost {
  readonly clock: Clock;
  readonly bus: EventBus;
  /** Receives XState inspection events of the breaker actors, whose ids are `breaker:<instrument>`. */
  readonly inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;
  /** A circuit opened: sheets of that instrument with a fallback should move on. */
  circuitOpened(instrument: string): void;
  /** A rate limit ended (expired or cleared): waiting sheets of it go back to ready. */
  limitLifted(instrument: string, model: string | undefined): void;
  /** A limit or a breaker changed: the checkpoints of the jobs should record it. */
  policyChanged(): void;
  /** Something the planner reads changed. */
  wake(): void;
}

/**
 * What may be dispatched to each instrument, across every job: its rate limits (one
 * coordinator for the process) and its circuit breaker (one machine per instrument),
 * folded into the gates `planDispatch` reads. Timers (limit expiry, breaker cool-down) run
 * on the conductor's clock.
 */
export class InstrumentGates {
  readonly gates = new Map<string, Gate>();
  readonly rateLimits: RateLimitCoordinator;
  private readonly breakers = new Map<string, Actor<typeof breakerMachine>>();
  private readonly cooldowns = new Map<string, Subscription>();
  private expiry: Subscription | undefined;

  constructor(private readonly host: InstrumentGatesHost) {
    this.rateLimits = new RateLimitCoordinator(host.clock);
    this.rateLimits.onChange((change) => this.limitChanged(change));
  }

  /** Reports a rate limit; returns when it lifts (a later report never shortens it). */
  reportRateLimit(instrument: string, waitMs: number, source: RateLimitSource): number {
    return this.rateLimits.report(instrument, waitMs, source).until;
  }

  /**
   * An attempt on `instrument` ended. `verdict` says what it tells of the instrument's
   * health: an execution `failure`, a full `success`, or `none` (rate-limited, partly
   * validated, cancelled). A closed circuit counts every verdict; once it has opened, only
   * the probe's verdict counts — an attempt started before the circuit opened says nothing
   * about the instrument now — and a probe without a verdict frees the probe slot.
   */
  attemptEnded(
    instrument: string,
    verdict: 'success' | 'failure' | 'none',
    probe: boolean,
    spec: CircuitBreakerSpec | undefined,
  ): void {
    const actor = verdict === 'failure' ? this.breaker(instrument, spec) : this.breakers.get(instrument);
    if (actor === undefined) return;
    if (actor.getSnapshot().value !== 'closed' && !probe) return;
    if (verdict === 'failure') actor.send({ type: 'FAILURE', at: this.host.clock.now() });
    else if (verdict === 'success') actor.send({ type: 'SUCCESS' });
    else if (probe) actor.send({ type: 'PROBE_ENDED' });
  }

  /** The circuit of `instrument` is open: nothing may be sent to it now. */
  circuitOpen(instrument: string): boolean {
    return this.breakerState(instrument) === 'open';
  }

  /** The one probe of a half-open circuit was dispatched. */
  probeStarted(instrument: string): void {
    this.breakers.get(instrument)?.send({ type: 'PROBE_STARTED' });
  }

  breakerState(instrument: string): 'closed' | 'open' | 'halfOpen' {
    return (this.breakers.get(instrument)?.getSnapshot().value as 'closed' | 'open' | 'halfOpen' | undefined) ?? 'closed';
  }

  dispose(): void {
    this.expiry?.unsubscribe();
    for (const timer of this.cooldowns.values()) timer.unsubscribe();
    for (const actor of this.breakers.values()) actor.stop();
  }

  /** The limits and breakers of some instruments, for a job's checkpoint. */
  stateFor(instruments: Iterable<string>): PolicyState {
    const names = new Set(instruments);
    const rateLimits: RateLimitRow[] = this.rateLimits
      .activeLimits()
      .filter((limit) => names.has(limit.instrument))
      .map((limit) => ({
        instrument: limit.instrument,
        model: limit.model ?? null,
        until: limit.until,
        reportedAt: limit.reportedAt,
        jobId: limit.source.jobId,
        sheetId: limit.source.sheetId,
      }));
    const breakers: BreakerRow[] = [];
    for (const [instrument, actor] of this.breakers) {
      if (!names.has(instrument)) continue;
      const snapshot = actor.getSnapshot();
      breakers.push({ instrument, state: snapshot.value as BreakerRow['state'], context: snapshot.context });
    }
    return { rateLimits, breakers };
  }

  /**
   * Brings back what a checkpoint knew: limits still in force, and breakers with their
   * cool-down deadlines. A probe that was in flight died with the previous process, so a
   * half-open breaker lets a new one through. What this conductor already knows wins.
   */
  restore(state: PolicyState | undefined): void {
    if (state === undefined) return;
    const now = this.host.clock.now();
    for (const limit of state.rateLimits) {
      if (limit.until <= now) continue;
      this.rateLimits.report(limit.instrument, limit.until - now, {
        jobId: limit.jobId,
        sheetId: limit.sheetId,
        ...(limit.model !== null ? { model: limit.model } : {}),
      });
    }
    for (const row of state.breakers) {
      if (this.breakers.has(row.instrument)) continue;
      const context = { ...(row.context as BreakerContext), probeInFlight: false };
      const actor = createActor(breakerMachine, {
        snapshot: breakerMachine.resolveState({ value: row.state, context }),
        input: { failures: context.failures, cooldownMs: context.baseCooldownMs },
        ...this.actorOptions(row.instrument),
      });
      this.adopt(row.instrument, actor, row.state);
      if (row.state === 'open') this.scheduleCooldown(row.instrument, context.reopenAt ?? now);
      this.refresh(row.instrument);
    }
  }

  private breaker(instrument: string, spec: CircuitBreakerSpec | undefined): Actor<typeof breakerMachine> | undefined {
    let actor = this.breakers.get(instrument);
    if (actor === undefined && spec !== undefined) {
      actor = createActor(breakerMachine, {
        input: { failures: spec.failures, cooldownMs: spec.cooldownMs },
        ...this.actorOptions(instrument),
      });
      this.adopt(instrument, actor, 'closed');
    }
    return actor;
  }

  private actorOptions(instrument: string): { id: string; inspect?: NonNullable<InstrumentGatesHost['inspect']> } {
    const id = `breaker:${instrument}`;
    return this.host.inspect ? { id, inspect: this.host.inspect } : { id };
  }

  private adopt(instrument: string, actor: Actor<typeof breakerMachine>, initial: string): void {
    // Registered before `start()`, which already delivers the first snapshot.
    this.breakers.set(instrument, actor);
    let last = initial;
    actor.subscribe((snapshot) => {
      const state = snapshot.value as string;
      const changed = state !== last;
      last = state;
      this.breakerChanged(instrument, changed);
    });
    actor.start();
  }

  private scheduleCooldown(instrument: string, reopenAt: number): void {
    this.cooldowns.get(instrument)?.unsubscribe();
    const delay = Math.max(0, reopenAt - this.host.clock.now());
    this.cooldowns.set(instrument, this.host.clock.schedule(() => this.cooldownElapsed(instrument), delay));
  }

  private breakerChanged(instrument: string, changed: boolean): void {
    const actor = this.breakers.get(instrument)!;
    const snapshot = actor.getSnapshot();
    const at = this.host.clock.now();
    this.refresh(instrument);
    if (!changed) return;
    this.host.policyChanged();
    const { bus } = this.host;
    if (snapshot.value === 'open') {
      const reopenAt = snapshot.context.reopenAt ?? at;
      this.scheduleCooldown(instrument, reopenAt);
      if (bus.observed) bus.emit({ type: 'circuit.open', instrument, reopenAt, at });
      this.host.circuitOpened(instrument);
    } else if (snapshot.value === 'halfOpen') {
      if (bus.observed) bus.emit({ type: 'circuit.half_open', instrument, at });
    } else if (bus.observed) {
      bus.emit({ type: 'circuit.closed', instrument, at });
    }
  }

  private cooldownElapsed(instrument: string): void {
    this.cooldowns.delete(instrument);
    this.breakers.get(instrument)?.send({ type: 'COOLDOWN_ELAPSED' } satisfies BreakerEvent);
    this.host.wake();
  }

  private limitChanged(change: RateLimitChange): void {
    this.host.policyChanged();
    const at = this.host.clock.now();
    const { bus } = this.host;
    if (change.type === 'active') {
      const { instrument, model, until } = change.limit;
      this.refresh(instrument, model);
      if (bus.observed) bus.emit({ type: 'rate_limit.active', instrument, ...(model ? { model } : {}), untilMs: until, at });
    } else {
      this.refresh(change.instrument, change.model);
      if (bus.observed) {
        bus.emit({ type: 'rate_limit.cleared', instrument: change.instrument, ...(change.model ? { model: change.model } : {}), at });
      }
      this.host.limitLifted(change.instrument, change.model);
    }
    this.scheduleExpiry();
  }

  /** One timer for the earliest expiry; `prune` then announces what ended. */
  private scheduleExpiry(): void {
    this.expiry?.unsubscribe();
    this.expiry = undefined;
    const next = this.rateLimits.nextExpiry();
    if (next === undefined) return;
    this.expiry = this.host.clock.schedule(() => {
      this.expiry = undefined;
      this.rateLimits.prune();
      this.scheduleExpiry();
    }, Math.max(0, next - this.host.clock.now()));
  }

  /** Recomputes the gate of an instrument (or one model of it) from its limit and breaker. */
  private refresh(instrument: string, model?: string): void {
    if (model !== undefined) {
      const key = modelKey(instrument, model);
      if (this.rateLimits.isRateLimited(instrument, model).limited && !this.rateLimits.isRateLimited(instrument).limited) {
        this.gates.set(key, { allows: 'none', reason: 'rate_limited' });
      } else {
        this.gates.delete(key);
      }
    }
    const limited = this.rateLimits.isRateLimited(instrument).limited;
    const actor = this.breakers.get(instrument);
    const allows = actor === undefined ? 'any' : breakerAllows(actor.getSnapshot());
    if (limited) this.gates.set(instrument, { allows: 'none', reason: 'rate_limited' });
    else if (allows === 'none') this.gates.set(instrument, { allows: 'none', reason: 'circuit_open' });
    else if (allows === 'one') this.gates.set(instrument, { allows: 'one', reason: 'circuit_probe' });
    else this.gates.delete(instrument);
    this.host.wake();
  }
}
