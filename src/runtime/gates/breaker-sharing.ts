import type { SharedBreaker, SharedState, StoredBreaker } from '../../coordination/backend.js';
import type { BreakerEvent, BreakerInput } from '../../machines/breaker.js';
import { breakerStep, sameBreaker, type BreakerData } from '../../machines/breaker-step.js';
import type { Clock } from '../clock.js';
import type { SharedPolicy } from '../coordination/shared-policy.js';
import type { InstrumentDirectory } from './instrument-directory.js';

/** What the breaker gate does with what the backend says. */
export interface BreakerMirror {
  /** The breaker of `instrument` is now `data` (undefined: closed, nothing counted). */
  mirror(instrument: string, data: BreakerData | undefined): void;
  /** This conductor's own breaker of `instrument`, to push after an outage. */
  local(instrument: string): BreakerData | undefined;
}

/**
 * Compare-and-set tries before a step gives up. Every lost try means another conductor's
 * step was written, so this bounds only a backend that never takes a write.
 */
const MAX_TRIES = 1_000;

/** After a few lost tries in a row, a pause of up to this many ms lets racing conductors fall out of step. */
const JITTER_MS = 5;

/** The key of an identity's half-open probe among the shared slots: one holder at a time. */
export const probeKey = (identity: string): string => `${identity}#probe`;

/**
 * Breakers shared by conductors. A verdict is a step of the pure breaker machine applied to
 * the backend's copy between a read and a compare-and-set, so failures add up across
 * conductors and the rules are the machine's alone. The half-open probe is a leased slot
 * (`probeKey`), never `probeInFlight` in the stored context: a conductor that dies while
 * probing frees it when its lease runs out. Reads bring each identity's breaker to every
 * instrument of it.
 */
export class BreakerSharing {
  /** What was last mirrored per identity (version and whether a probe was out), to skip reads that bring nothing new. */
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly shared: SharedPolicy,
    private readonly instruments: InstrumentDirectory,
    private readonly gate: BreakerMirror,
    private readonly clock: Clock,
  ) {
    shared.onState((state) => this.apply(state));
  }

  /**
   * Applies `event` to the shared breaker of `instrument`'s identity. False when the backend
   * is unreachable: the caller steps its local breaker instead.
   */
  async step(instrument: string, input: BreakerInput, event: BreakerEvent): Promise<boolean> {
    const identity = this.instruments.identity(instrument);
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const state = await this.shared.call((backend) => backend.read());
      if (state === undefined) return false;
      const stored = state.breakers.find((breaker) => breaker.identity === identity);
      const now = this.clock.now();
      const current = stored === undefined ? undefined : absolute(stored, now);
      const next = breakerStep(current, input, 'at' in event ? { ...event, at: now } : event);
      if (sameBreaker(current, next) || (current === undefined && isBlank(next))) return true;
      const written = await this.shared.call((backend) => backend.writeBreaker(identity, stored?.version ?? 0, isBlank(next) ? null : relative(next, now)));
      if (written === undefined) return false;
      if (written) {
        this.shared.refresh();
        return true;
      }
      if (tries >= 3) await new Promise<void>((resolve) => this.clock.schedule(() => resolve(), Math.random() * JITTER_MS));
    }
    // A backend that never takes a write is as good as unreachable: the caller steps its own breaker.
    return false;
  }

  private apply(state: SharedState | undefined): void {
    if (state === undefined) {
      // After an outage the backend's breakers win, or this conductor's are pushed to it.
      this.seen.clear();
      return;
    }
    const now = this.clock.now();
    const byIdentity = new Map<string, StoredBreaker>(state.breakers.map((breaker) => [breaker.identity, breaker]));
    const probing = new Set(state.slots.filter((slots) => slots.holders.length > 0).map((slots) => slots.identity));
    const identities = new Set<string>();
    for (const name of this.instruments.all()) identities.add(this.instruments.identity(name));
    for (const identity of identities) {
      const stored = byIdentity.get(identity);
      const probe = probing.has(probeKey(identity));
      const mark = `${stored?.version ?? 0}/${probe}`;
      const before = this.seen.get(identity);
      if (before === mark) continue;
      this.seen.set(identity, mark);
      if (stored === undefined && before === undefined) {
        this.push(identity, now);
        continue;
      }
      const data = stored === undefined ? undefined : absolute(stored, now);
      const mirrored = data === undefined ? undefined : { value: data.value, context: { ...data.context, probeInFlight: probe } };
      for (const instrument of this.instruments.namesOf(identity)) this.gate.mirror(instrument, mirrored);
    }
  }

  /** The backend has no breaker of `identity`: one this conductor opened on its own (offline) goes to it. */
  private push(identity: string, now: number): void {
    for (const instrument of this.instruments.namesOf(identity)) {
      const local = this.gate.local(instrument);
      if (local === undefined || isBlank(local)) continue;
      void this.shared.call((backend) => backend.writeBreaker(identity, 0, relative(local, now))).then(() => this.shared.refresh());
      return;
    }
  }
}

/** A closed breaker with nothing counted: the backend keeps none. */
function isBlank(data: BreakerData): boolean {
  return data.value === 'closed' && data.context.consecutiveFailures === 0;
}

function absolute(shared: SharedBreaker, now: number): BreakerData {
  const { openedAt, reopenAt } = shared.context;
  return {
    value: shared.value,
    context: { ...shared.context, openedAt: openedAt === null ? null : now + openedAt, reopenAt: reopenAt === null ? null : now + reopenAt, probeInFlight: false },
  };
}

function relative(data: BreakerData, now: number): SharedBreaker {
  const { openedAt, reopenAt } = data.context;
  return {
    value: data.value,
    context: { ...data.context, openedAt: openedAt === null ? null : openedAt - now, reopenAt: reopenAt === null ? null : reopenAt - now, probeInFlight: false },
  };
}
