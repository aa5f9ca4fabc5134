import type { SharedState } from '../../coordination/backend.js';
import type { Clock } from '../clock.js';
import type { SharedPolicy } from '../coordination/shared-policy.js';
import type { InstrumentDirectory } from './instrument-directory.js';
import type { RateLimitCoordinator } from './rate-limits.js';

/** Limits that came from the backend name no sheet of this conductor. */
export const SHARED_SOURCE = { jobId: '(shared)', sheetId: '(shared)' } as const;

/** Differences below this between a local and a shared end are the two clocks' rounding, not news. */
const SAME_END_MS = 50;

const keyOf = (instrument: string, model: string | null | undefined): string => `${instrument}\u0000${model ?? ''}`;

/**
 * Keeps a conductor's rate limits and the backend's in step: a limit reported or cleared
 * here goes to the backend under the instrument's identity; every read brings the backend's limits to
 * each instrument of their identity (the later end wins, as locally); a limit the backend
 * had and no longer has was cleared elsewhere, and is cleared here; a limit only this
 * conductor knows (learnt while the backend was unreachable) is pushed to it.
 */
export class RateLimitSharing {
  /** Keys (instrument, model) the backend had at the latest read. */
  private inBackend = new Set<string>();
  /** Set while applying the backend's state, so its clears are not sent back. */
  private applying = false;

  constructor(
    private readonly shared: SharedPolicy,
    private readonly instruments: InstrumentDirectory,
    private readonly limits: RateLimitCoordinator,
    private readonly clock: Clock,
  ) {
    // Every limit this conductor learns or clears — from an attempt or from the API — goes to the backend.
    limits.onChange((change) => {
      if (this.applying) return;
      if (change.type === 'active') {
        const { instrument, model, until } = change.limit;
        this.push(instruments.identity(instrument), model, until - clock.now());
      } else if (change.reason === 'cleared') {
        const identity = instruments.identity(change.instrument);
        this.inBackend.delete(keyOf(change.instrument, change.model));
        void shared.call((backend) => backend.clearLimit(identity, change.model ?? null)).then(() => shared.refresh());
      }
    });
    shared.onState((state) => this.apply(state));
  }

  private push(identity: string, model: string | undefined, waitMs: number): void {
    void this.shared.call((backend) => backend.reportLimit(identity, model ?? null, waitMs));
  }

  private apply(state: SharedState | undefined): void {
    // Offline: the local limits go on as they are, and are pushed once the backend is back.
    if (state === undefined) {
      this.inBackend.clear();
      return;
    }
    const now = this.clock.now();
    const seen = new Set<string>();
    this.applying = true;
    try {
      for (const limit of state.limits) {
        for (const instrument of this.instruments.namesOf(limit.identity)) {
          seen.add(keyOf(instrument, limit.model));
          const model = limit.model ?? undefined;
          const local = this.limits.limitOf(instrument, model);
          if (local !== undefined && local.until >= now + limit.remainingMs - SAME_END_MS) continue;
          this.limits.report(instrument, limit.remainingMs, { ...SHARED_SOURCE, ...(model !== undefined && { model }) });
        }
      }
      const clearedElsewhere = new Set<string>();
      for (const local of this.limits.activeLimits()) {
        const key = keyOf(local.instrument, local.model);
        if (seen.has(key)) continue;
        if (this.inBackend.has(key)) clearedElsewhere.add(local.instrument);
        else this.push(this.instruments.identity(local.instrument), local.model, local.until - now);
      }
      // `clear` takes an instrument's every model: those the backend still has come back at once.
      for (const instrument of clearedElsewhere) {
        const kept = this.limits.activeLimits().filter((limit) => limit.instrument === instrument && seen.has(keyOf(instrument, limit.model)));
        this.limits.clear(instrument);
        for (const limit of kept) this.limits.report(instrument, limit.until - now, limit.source);
      }
    } finally {
      this.applying = false;
    }
    this.inBackend = seen;
  }
}
