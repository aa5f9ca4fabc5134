import type { Subscription } from 'rxjs';
import type { AttemptVerdict, Gate, GateBlock, GatedAttempt, GateHost, GateKind, GateStatus } from './gate.js';
import { RateLimitSharing, SHARED_SOURCE } from './rate-limit-sharing.js';
import { RateLimitCoordinator, type RateLimitChange } from './rate-limits.js';

/** A rate limit in force when a checkpoint was written (absolute `until`, conductor clock). */
export interface RateLimitRow {
  instrument: string;
  model: string | null;
  until: number;
  reportedAt: number;
  jobId: string;
  sheetId: string;
}

const LIMITED: GateBlock = Object.freeze({ admits: 0, reason: 'rate_limited' });

/**
 * Rate limits as a gate: nothing is dispatched to a limited instrument (or model) until its
 * limit ends. A rate-limited attempt reports a limit for its whole instrument or, when its
 * instrument's `rate_limit.scope` is `model` and it ran with a model, for that model only;
 * the limit holds its sheet (and every other it covers) until the later of the limit in
 * force and its own wait. One timer, for the earliest expiry, prunes what ended and lets
 * waiting sheets go.
 */
export class RateLimitGate implements Gate {
  /** The limits of every instrument: report, query, clear (see `Conductor.rateLimits`). */
  readonly limits: RateLimitCoordinator;
  private expiry: Subscription | undefined;

  constructor(private readonly host: GateHost) {
    this.limits = new RateLimitCoordinator(host.clock);
    this.limits.onChange((change) => this.limitChanged(change));
    // Limits shared with other conductors through a coordination backend.
    if (host.shared !== undefined) new RateLimitSharing(host.shared, host.instruments, this.limits, host.clock);
  }

  blocks(instrument: string, model: string | undefined): GateBlock | undefined {
    return this.limits.limitOf(instrument, model) === undefined ? undefined : LIMITED;
  }

  ended(attempt: GatedAttempt, verdict: AttemptVerdict): number | undefined {
    if (verdict.rateLimitWaitMs === undefined) return undefined;
    // The limit is shared by every job: a later report never shortens it.
    const byModel = verdict.spec?.rateLimit?.scope === 'model' && attempt.model !== undefined;
    const source = { jobId: attempt.jobId, sheetId: attempt.sheetId, ...(byModel && { model: attempt.model }) };
    return this.limits.report(attempt.instrument, verdict.rateLimitWaitMs, source).until;
  }

  snapshot(instruments: ReadonlySet<string>): RateLimitRow[] {
    return this.limits
      .activeLimits()
      .filter((limit) => instruments.has(limit.instrument))
      .map((limit) => ({
        instrument: limit.instrument,
        model: limit.model ?? null,
        until: limit.until,
        reportedAt: limit.reportedAt,
        jobId: limit.source.jobId,
        sheetId: limit.source.sheetId,
      }));
  }

  /** Limits still in force come back with their remaining time; a later one already known wins. */
  restore(state: unknown): void {
    const now = this.host.clock.now();
    for (const row of rows(state)) {
      if (row.until <= now) continue;
      this.limits.report(row.instrument, row.until - now, {
        jobId: row.jobId,
        sheetId: row.sheetId,
        ...(row.model !== null ? { model: row.model } : {}),
      });
    }
  }

  dispose(): void {
    this.expiry?.unsubscribe();
  }

  private limitChanged(change: RateLimitChange): void {
    const at = this.host.clock.now();
    const { bus } = this.host;
    if (change.type === 'active') {
      const { instrument, model, until } = change.limit;
      this.host.changed(instrument, model);
      if (bus.observed) bus.emit({ type: 'rate_limit.active', instrument, ...(model ? { model } : {}), untilMs: until, at });
    } else {
      const { instrument, model } = change;
      this.host.changed(instrument, model);
      if (bus.observed) bus.emit({ type: 'rate_limit.cleared', instrument, ...(model ? { model } : {}), at });
      this.host.lifted(instrument, model);
    }
    this.scheduleExpiry();
  }

  /** One timer for the earliest expiry; `prune` then announces what ended. */
  private scheduleExpiry(): void {
    this.expiry?.unsubscribe();
    this.expiry = undefined;
    const next = this.limits.nextPrune();
    if (next === undefined) return;
    this.expiry = this.host.clock.schedule(() => {
      this.expiry = undefined;
      this.limits.prune();
      this.scheduleExpiry();
    }, Math.max(0, next - this.host.clock.now()));
  }
}

function rows(state: unknown): RateLimitRow[] {
  return Array.isArray(state) ? (state as RateLimitRow[]) : [];
}

export const rateLimitGate: GateKind<RateLimitGate> = {
  name: 'rateLimits',
  create: (host) => new RateLimitGate(host),
  status(state: unknown, now: number): GateStatus {
    const active = rows(state).filter((limit) => limit.until > now);
    return {
      json: active.map((l) => ({ instrument: l.instrument, ...(l.model ? { model: l.model } : {}), until: l.until, remainingMs: l.until - now })),
      lines: active.map(
        (l) =>
          `rate-limited: ${l.instrument}${l.model ? `/${l.model}` : ''} for another ${Math.ceil((l.until - now) / 1000)}s` +
          (l.jobId === SHARED_SOURCE.jobId ? ' (reported by another conductor)' : ''),
      ),
    };
  },
};
