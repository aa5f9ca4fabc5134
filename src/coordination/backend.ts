import type { BreakerContext, BreakerState } from '../machines/breaker.js';

/**
 * Where conductors share policy state: rate limits, circuit breakers and caps, under an
 * identity (an instrument's `shared_as`). Every time crosses this interface as a number of
 * milliseconds *from now*, on the backend's own clock (Redis's `TIME`, the host's clock for
 * SQLite), so conductors whose clocks disagree — or run in virtual time — still agree.
 *
 * A backend decides nothing about policy: it stores, expires and compares-and-sets. The
 * breaker's rules stay in the pure breaker machine, applied by the conductor between a
 * `read` and a `writeBreaker`. Every method may reject when the backend is unreachable;
 * callers then go on with their local state.
 */
export interface CoordinationBackend {
  /** What it is, for status and warnings: `sqlite:/abs/path` or `redis://host:port/db` (never a password). */
  readonly target: string;
  /** Everything in force now. */
  read(): Promise<SharedState>;
  /**
   * Limits `identity` (or its `model`; null for the whole identity) for `waitMs` from now.
   * The later end wins: a report that ends sooner than the limit in force changes nothing.
   * Resolves to the remaining ms of the limit in force afterwards (0 when none: `waitMs` ≤ 0).
   */
  reportLimit(identity: string, model: string | null, waitMs: number): Promise<number>;
  /** Lifts a limit, everywhere. */
  clearLimit(identity: string, model: string | null): Promise<void>;
  /**
   * Writes a breaker if its version is still `version` (0: there is none yet), and gives it
   * version `version + 1`. False when another writer came first: read again and retry.
   * `null` deletes it (a closed breaker with nothing counted).
   */
  writeBreaker(identity: string, version: number, next: SharedBreaker | null): Promise<boolean>;
  /**
   * Takes one of `limit` slots of `identity` for `holder`, leased for `leaseMs`; expired
   * leases are freed first. True when `holder` holds a slot afterwards (a holder that held
   * one already keeps it, its lease renewed, whatever `limit` says now).
   */
  claimSlot(identity: string, holder: string, limit: number, leaseMs: number): Promise<boolean>;
  /** Renews the leases of `holders` on `identity`; resolves to those that were no longer held. */
  renewSlots(identity: string, holders: readonly string[], leaseMs: number): Promise<string[]>;
  /** Frees `holder`'s slot on `identity`, if it holds one. */
  releaseSlot(identity: string, holder: string): Promise<void>;
  /**
   * Calls `listener` soon after something shared changed (best effort: Redis pub/sub can
   * drop messages, SQLite has no notifications). Callers poll `read` as well. Returns the
   * function that stops it.
   */
  watch(listener: () => void): () => void;
  /** Disconnects; in-flight calls may reject. Leases are not released (they expire). */
  close(): Promise<void>;
}

/** What a backend holds now. Expired entries are never listed. */
export interface SharedState {
  readonly limits: readonly SharedLimit[];
  readonly breakers: readonly StoredBreaker[];
  /** Identities with at least one live lease. */
  readonly slots: readonly SharedSlots[];
}

export interface SharedLimit {
  readonly identity: string;
  /** Null: the whole identity, every model of it. */
  readonly model: string | null;
  /** Until it ends, > 0. */
  readonly remainingMs: number;
}

/**
 * A breaker machine's state in transit: its `value` and `context`, with the context's
 * absolute times (`openedAt`, `reopenAt`) given as offsets from now (negative: in the past).
 */
export interface SharedBreaker {
  readonly value: BreakerState;
  readonly context: BreakerContext;
}

export interface StoredBreaker extends SharedBreaker {
  readonly identity: string;
  /** Its compare-and-set version, ≥ 1. */
  readonly version: number;
}

export interface SharedSlots {
  readonly identity: string;
  readonly holders: ReadonlyArray<{ readonly holder: string; readonly remainingMs: number }>;
}
