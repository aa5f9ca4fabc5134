import type { SharedState } from '../../coordination/backend.js';
import type { AttemptVerdict, Gate, GateBlock, GatedAttempt, GateHost, GateKind, GateStatus } from './gate.js';

/** A shared cap as a checkpoint records it, for `baton status`. */
export interface SharedCapRow {
  identity: string;
  instruments: string[];
  limit: number;
  /** Attempts of the identity running on every conductor at the latest read (this one's included). */
  running: number;
  /** This conductor's share of them. */
  here: number;
}

/** What the gate writes into a checkpoint: where the shared state comes from, and the caps. */
export interface SharedCapState {
  /** The coordination backend (`sqlite:PATH`, `redis://…`); absent when state is this process's own. */
  target?: string;
  /** False while the backend cannot be reached. */
  online?: boolean;
  caps: SharedCapRow[];
}

/** Every instrument waits for the backend's first read (or its failure). */
const SYNCING: GateBlock = Object.freeze({ admits: 0, reason: 'coordinating' });

/**
 * `shared_concurrency`: at most N attempts of a `shared_as` identity at once across every
 * conductor on the coordination backend. The planner reads a mirror — slots the backend's
 * latest read shows held elsewhere, plus this conductor's own attempts — so it stays
 * synchronous; each attempt's slot is then claimed from the backend (a lease, renewed while
 * it runs) before its musician starts, and one that finds none free waits, dispatched,
 * until a slot frees. Without a backend, or while it is unreachable, the cap holds for
 * this conductor alone.
 */
export class SharedCapGate implements Gate {
  /** Attempts of each identity this conductor dispatched that have not ended (waiting for a slot or running). */
  private readonly here = new Map<string, number>();
  /** Slots held elsewhere, by identity, at the latest read. */
  private elsewhere = new Map<string, number>();
  private readonly holders = new Map<GatedAttempt, { identity: string; holder: string | undefined }>();
  /** Whether the first read (or failure) has been mirrored. */
  private synced = false;

  constructor(private readonly host: GateHost) {
    host.shared?.onState((state) => this.mirror(state));
  }

  blocks(instrument: string, model: string | undefined): GateBlock | undefined {
    if (model !== undefined) return undefined;
    if (this.host.shared?.synced === false) return SYNCING;
    const limit = this.limitOf(instrument);
    if (limit === undefined) return undefined;
    const identity = this.host.instruments.identity(instrument);
    const used = (this.here.get(identity) ?? 0) + (this.elsewhere.get(identity) ?? 0);
    return { admits: Math.max(0, limit - used), reason: 'shared_cap' };
  }

  started(attempt: GatedAttempt): void | Promise<void> {
    const limit = this.limitOf(attempt.instrument);
    if (limit === undefined) return;
    const identity = this.host.instruments.identity(attempt.instrument);
    this.here.set(identity, (this.here.get(identity) ?? 0) + 1);
    this.changed(identity);
    const shared = this.host.shared;
    const entry = { identity, holder: shared?.holder() };
    this.holders.set(attempt, entry);
    if (shared === undefined || entry.holder === undefined) return;
    const holder = entry.holder;
    return shared.admit(attempt.abort, () => shared.claim(identity, holder, limit));
  }

  ended(attempt: GatedAttempt, _verdict: AttemptVerdict): undefined {
    const entry = this.holders.get(attempt);
    if (entry === undefined) return undefined;
    this.holders.delete(attempt);
    const left = (this.here.get(entry.identity) ?? 1) - 1;
    if (left > 0) this.here.set(entry.identity, left);
    else this.here.delete(entry.identity);
    if (entry.holder !== undefined) this.host.shared?.release(entry.identity, entry.holder);
    this.changed(entry.identity);
    return undefined;
  }

  /** Undefined when there is nothing to tell: no backend, no shared cap. */
  snapshot(instruments: ReadonlySet<string>): SharedCapState | undefined {
    const { shared } = this.host;
    const caps: SharedCapRow[] = [];
    const identities = new Map<string, string[]>();
    for (const name of instruments) {
      if (this.limitOf(name) === undefined) continue;
      const identity = this.host.instruments.identity(name);
      identities.set(identity, [...(identities.get(identity) ?? []), name]);
    }
    for (const [identity, names] of identities) {
      const here = this.here.get(identity) ?? 0;
      caps.push({ identity, instruments: names, limit: this.limitOf(names[0]!)!, running: here + (this.elsewhere.get(identity) ?? 0), here });
    }
    if (shared === undefined) return caps.length === 0 ? undefined : { caps };
    return { target: shared.target, online: shared.isOnline, caps };
  }

  /** Slots are leases in the backend and attempts of this process: nothing to bring back. */
  restore(): void {}

  private limitOf(instrument: string): number | undefined {
    return this.host.instruments.spec(instrument)?.sharedConcurrency;
  }

  private mirror(state: SharedState | undefined): void {
    const shared = this.host.shared!;
    if (!this.synced) {
      this.synced = true;
      for (const instrument of this.host.instruments.all()) this.host.changed(instrument);
    }
    const elsewhere = new Map<string, number>();
    for (const slots of state?.slots ?? []) {
      const others = slots.holders.filter((held) => !shared.isMine(held.holder)).length;
      if (others > 0) elsewhere.set(slots.identity, others);
    }
    const before = this.elsewhere;
    this.elsewhere = elsewhere;
    for (const identity of new Set([...before.keys(), ...elsewhere.keys()])) {
      if (before.get(identity) !== elsewhere.get(identity)) this.changed(identity);
    }
  }

  private changed(identity: string): void {
    for (const instrument of this.host.instruments.namesOf(identity)) this.host.changed(instrument);
  }
}

function state(value: unknown): SharedCapState {
  return typeof value === 'object' && value !== null && Array.isArray((value as SharedCapState).caps) ? (value as SharedCapState) : { caps: [] };
}

export const sharedCapGate: GateKind<SharedCapGate> = {
  name: 'shared',
  create: (host) => new SharedCapGate(host),
  status(value: unknown): GateStatus {
    const { target, online, caps } = state(value);
    const lines: string[] = [];
    if (target !== undefined) lines.push(`coordination: ${target}${online === false ? ' (unreachable: local state only)' : ''}`);
    for (const cap of caps) lines.push(`shared cap ${cap.identity}: ${cap.running} of ${cap.limit} running (${cap.here} here)`);
    return { json: target === undefined && caps.length === 0 ? null : { ...(target !== undefined && { target, online }), caps }, lines };
  },
};
