/** Which attempt reported a rate limit. */
export interface RateLimitSource {
  jobId: string;
  sheetId: string;
  /** The model the attempt ran with; a report with a model limits only that model. */
  model?: string;
}

export interface RateLimit {
  instrument: string;
  /** Absent for an instrument-wide limit. */
  model?: string;
  /** Clock time at which the limit ends. */
  until: number;
  /** Clock time of the report that set this resume time. */
  reportedAt: number;
  source: RateLimitSource;
}

export type RateLimitChange =
  | { type: 'active'; limit: RateLimit }
  | { type: 'cleared'; instrument: string; model?: string; reason: 'expired' | 'cleared' };

export interface RateLimitCoordinatorOptions {
  /** How many changes `history()` keeps. @default 1000 */
  historyLimit?: number;
}

const DEFAULT_HISTORY_LIMIT = 1000;

/**
 * The rate limits of every instrument, shared by every job of a conductor: a limit reported by
 * any sheet of an instrument holds back every sheet of that instrument.
 *
 * Limits are keyed by instrument, or by instrument and model. A report from an attempt that ran
 * with a model (`source.model`) limits only that model; one without a model limits the whole
 * instrument, every model of it included. A limit is active while `now < until`.
 *
 * Time is read only through the injected clock, and the coordinator has no timers: an expired
 * limit stops counting at once, but it is dropped (and its `cleared`/`expired` change
 * announced) only by `prune()` — or by a `report` or `clear` of the same key. The owner
 * schedules a wake-up at `nextPrune()` and prunes then. Queries never change anything.
 */
export class RateLimitCoordinator {
  readonly #clock: { now(): number };
  readonly #historyLimit: number;
  /** instrument → model (undefined = instrument-wide) → limit. Expired entries linger until pruned. */
  readonly #limits = new Map<string, Map<string | undefined, RateLimit>>();
  /** Oldest first; may exceed the limit by up to historyLimit entries before being trimmed. */
  #history: RateLimitChange[] = [];
  readonly #listeners = new Set<(change: RateLimitChange) => void>();
  readonly #undelivered: RateLimitChange[] = [];
  #delivering = false;

  constructor(clock: { now(): number }, options: RateLimitCoordinatorOptions = {}) {
    const historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isInteger(historyLimit) || historyLimit < 0) {
      throw new RangeError(`historyLimit must be an integer >= 0, got ${historyLimit}`);
    }
    this.#clock = clock;
    this.#historyLimit = historyLimit;
  }

  /**
   * Records that `instrument` (or `source.model` of it) is rate-limited for `waitMs` from now.
   * A later resume time wins, never an earlier one. Returns the limit now in force for that
   * key. A report whose resume time is not in the future (waitMs 0) while no limit is active
   * changes nothing: the returned limit has already expired.
   * @throws RangeError when `waitMs` is not a finite number (a negative wait counts as 0).
   */
  report(instrument: string, waitMs: number, source: RateLimitSource): RateLimit {
    if (!Number.isFinite(waitMs)) throw new RangeError(`waitMs must be a finite number, got ${waitMs}`);
    const now = this.#clock.now();
    const model = normalizeModel(source.model);
    const models = this.#limits.get(instrument);
    const existing = models?.get(model);
    if (existing !== undefined && existing.until > now) {
      if (existing.until >= now + Math.max(0, waitMs)) return existing;
    }

    const limit = freezeLimit(instrument, model, now + Math.max(0, waitMs), now, source);
    const changes: RateLimitChange[] = [];
    if (existing !== undefined && existing.until <= now) {
      models!.delete(model);
      if (models!.size === 0) this.#limits.delete(instrument);
      changes.push(cleared(instrument, model, 'expired'));
    }
    if (limit.until > now) {
      let entries = this.#limits.get(instrument);
      if (entries === undefined) {
        entries = new Map();
        this.#limits.set(instrument, entries);
      }
      entries.set(model, limit);
      changes.push({ type: 'active', limit });
    }
    this.#emit(changes);
    return limit;
  }

  /**
   * Whether a sheet of `instrument` (with `model`, if any) must wait, and for how long: an
   * instrument-wide limit applies to every model of it, a model limit only to that model; when
   * both are active the later one counts.
   */
  isRateLimited(instrument: string, model?: string): { limited: boolean; remainingMs: number } {
    const now = this.#clock.now();
    const models = this.#limits.get(instrument);
    let until = -Infinity;
    if (models !== undefined) {
      until = models.get(undefined)?.until ?? -Infinity;
      const key = normalizeModel(model);
      if (key !== undefined) until = Math.max(until, models.get(key)?.until ?? -Infinity);
    }
    return until > now ? { limited: true, remainingMs: until - now } : { limited: false, remainingMs: 0 };
  }

  /**
   * The active limit of exactly one key: the instrument-wide limit when `model` is absent
   * (or empty), else that model's own limit, whatever the instrument-wide one says.
   */
  limitOf(instrument: string, model?: string): RateLimit | undefined {
    const limit = this.#limits.get(instrument)?.get(normalizeModel(model));
    return limit !== undefined && limit.until > this.#clock.now() ? limit : undefined;
  }

  /** Unexpired limits, by instrument then model (the instrument-wide one first). */
  activeLimits(): RateLimit[] {
    const now = this.#clock.now();
    const active: RateLimit[] = [];
    for (const models of this.#limits.values()) {
      for (const limit of models.values()) if (limit.until > now) active.push(limit);
    }
    return active.sort(byKey);
  }

  /**
   * Clears the limits of exactly that instrument (all its models), or every limit when none is
   * given; an unknown or empty name clears nothing. Returns how many active limits were
   * cleared (announced as `cleared`/`cleared`); expired ones found on the way are dropped and
   * announced as `expired`, and not counted.
   */
  clear(instrument?: string): number {
    const now = this.#clock.now();
    const targets: string[] = [];
    if (instrument === undefined) targets.push(...this.#limits.keys());
    else if (instrument !== '' && this.#limits.has(instrument)) targets.push(instrument);

    const changes: RateLimitChange[] = [];
    let count = 0;
    for (const name of targets) {
      const models = this.#limits.get(name)!;
      this.#limits.delete(name);
      for (const limit of [...models.values()].sort(byKey)) {
        const active = limit.until > now;
        if (active) count++;
        changes.push(cleared(name, limit.model, active ? 'cleared' : 'expired'));
      }
    }
    this.#emit(changes);
    return count;
  }

  /** Drops expired limits (announced as `cleared`/`expired`), returns how many, and trims the history. */
  prune(): number {
    const now = this.#clock.now();
    const expired: RateLimit[] = [];
    for (const [name, models] of this.#limits) {
      for (const [model, limit] of models) {
        if (limit.until <= now) {
          models.delete(model);
          expired.push(limit);
        }
      }
      if (models.size === 0) this.#limits.delete(name);
    }
    this.#emit(expired.sort(byKey).map((limit) => cleared(limit.instrument, limit.model, 'expired')));
    this.#trimHistory();
    return expired.length;
  }

  /**
   * When `prune()` next has something to drop: the earliest `until` of every limit held, an
   * expired one not yet pruned included (then at or before now). An owner that schedules its
   * wake-ups from this never loses one to the clock moving on between its `prune()` and this
   * call, which `nextExpiry()` (active limits only) would.
   */
  nextPrune(): number | undefined {
    let earliest: number | undefined;
    for (const models of this.#limits.values()) {
      for (const { until } of models.values()) if (earliest === undefined || until < earliest) earliest = until;
    }
    return earliest;
  }

  /** Earliest `until` among active limits. */
  nextExpiry(): number | undefined {
    const now = this.#clock.now();
    let earliest: number | undefined;
    for (const models of this.#limits.values()) {
      for (const { until } of models.values()) {
        if (until > now && (earliest === undefined || until < earliest)) earliest = until;
      }
    }
    return earliest;
  }

  /** Recent changes, oldest first, at most `historyLimit` of them. */
  history(): readonly RateLimitChange[] {
    const start = Math.max(0, this.#history.length - this.#historyLimit);
    return this.#history.slice(start);
  }

  /**
   * Calls `listener` synchronously after every change, in order. A listener that throws is
   * ignored (the coordinator and the other listeners carry on). Returns the unsubscribe function.
   */
  onChange(listener: (change: RateLimitChange) => void): () => void {
    // Wrapped so that the same function can subscribe twice and unsubscribe each independently.
    const entry = (change: RateLimitChange): void => listener(change);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  #emit(changes: RateLimitChange[]): void {
    if (changes.length === 0) return;
    if (this.#historyLimit > 0) {
      this.#history.push(...changes);
      // Amortised trimming: history() slices to the limit anyway.
      if (this.#history.length > 2 * this.#historyLimit) this.#trimHistory();
    }
    // A listener may report or clear in turn: its changes are delivered after the current
    // ones, so that every listener sees every change in history order.
    this.#undelivered.push(...changes);
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let change = this.#undelivered.shift(); change !== undefined; change = this.#undelivered.shift()) {
        for (const listener of [...this.#listeners]) {
          try {
            listener(change);
          } catch {
            // A listener's failure is its own; the coordinator's state is already consistent.
          }
        }
      }
    } finally {
      this.#delivering = false;
    }
  }

  #trimHistory(): void {
    const excess = this.#history.length - this.#historyLimit;
    if (excess > 0) this.#history = this.#history.slice(excess);
  }
}

/** An empty model name means no model: the report or query is instrument-wide. */
function normalizeModel(model: string | undefined): string | undefined {
  return model === undefined || model === '' ? undefined : model;
}

function freezeLimit(
  instrument: string,
  model: string | undefined,
  until: number,
  reportedAt: number,
  source: RateLimitSource,
): RateLimit {
  const frozenSource: RateLimitSource = Object.freeze({
    jobId: source.jobId,
    sheetId: source.sheetId,
    ...(source.model !== undefined && { model: source.model }),
  });
  return Object.freeze({
    instrument,
    ...(model !== undefined && { model }),
    until,
    reportedAt,
    source: frozenSource,
  });
}

function cleared(instrument: string, model: string | undefined, reason: 'expired' | 'cleared'): RateLimitChange {
  return model === undefined
    ? { type: 'cleared', instrument, reason }
    : { type: 'cleared', instrument, model, reason };
}

function byKey(a: RateLimit, b: RateLimit): number {
  if (a.instrument !== b.instrument) return a.instrument < b.instrument ? -1 : 1;
  if (a.model === b.model) return 0;
  if (a.model === undefined) return -1;
  if (b.model === undefined) return 1;
  return a.model < b.model ? -1 : 1;
}
