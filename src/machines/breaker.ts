import { assign, setup, type SnapshotFrom } from 'xstate';

/** The states of a circuit breaker; the names are public API (snapshots, status, events). */
export const BREAKER_STATES = ['closed', 'open', 'halfOpen'] as const;

export type BreakerState = (typeof BREAKER_STATES)[number];

export interface BreakerInput {
  /** Consecutive execution failures (in `closed`) that open the breaker. At least 1. */
  failures: number;
  /** Cool-down of the first opening, in ms. */
  cooldownMs: number;
  /** Cap on the grown cool-down, in ms. Default 10 × `cooldownMs`; never below `cooldownMs`. */
  maxCooldownMs?: number;
  /** Factor applied to the cool-down on each opening in a row. Default 2; never below 1. */
  growth?: number;
}

export interface BreakerContext {
  /** Configuration, normalised from the input (defaults filled in, clamped). */
  failures: number;
  baseCooldownMs: number;
  maxCooldownMs: number;
  growth: number;
  /** Consecutive execution failures heard since the last success or reset (late outcomes ignored while `open` are not counted). */
  consecutiveFailures: number;
  /** Openings in a row without a close; 0 while `closed`. Drives the cool-down growth. */
  opens: number;
  /** Absolute time (conductor clock) of the latest opening; null while `closed`. */
  openedAt: number | null;
  /** Absolute time the conductor sends `COOLDOWN_ELAPSED`: `openedAt + cooldownMs`; null while `closed`. */
  reopenAt: number | null;
  /** Cool-down of the latest opening, in ms; null while `closed`. */
  cooldownMs: number | null;
  /** The one half-open probe has been dispatched and has not reported yet. */
  probeInFlight: boolean;
}

export type BreakerEvent =
  /** An execution failure of an attempt on the instrument (never a rate limit or a partial validation). */
  | { type: 'FAILURE'; at: number }
  /** An attempt on the instrument succeeded. */
  | { type: 'SUCCESS' }
  /** The conductor's timer for `reopenAt` fired. */
  | { type: 'COOLDOWN_ELAPSED' }
  /** The conductor dispatched the one half-open probe. */
  | { type: 'PROBE_STARTED' }
  /** The probe ended without a verdict (rate-limited, cancelled, partly validated): offer another. */
  | { type: 'PROBE_ENDED' }
  /** Manual close: forget every failure and opening. */
  | { type: 'RESET' };

/**
 * Cool-down of the `opens`-th opening in a row (1-based):
 * `min(maxCooldownMs, baseCooldownMs × growth^(opens − 1))`.
 */
export function breakerCooldownMs(
  config: Pick<BreakerContext, 'baseCooldownMs' | 'maxCooldownMs' | 'growth'>,
  opens: number,
): number {
  const exponent = Math.max(0, opens - 1);
  return Math.min(config.maxCooldownMs, config.baseCooldownMs * Math.pow(config.growth, exponent));
}

/** Everything that a close forgets. */
const CLOSED = {
  consecutiveFailures: 0,
  opens: 0,
  openedAt: null,
  reopenAt: null,
  cooldownMs: null,
  probeInFlight: false,
} as const;

/**
 * One circuit breaker per instrument (see docs/architecture.md). Pure: no timers, no clock; time
 * arrives in `FAILURE.at`, and the conductor reads `reopenAt` from the context and sends
 * `COOLDOWN_ELAPSED` when it is due. The conductor sends only execution failures:
 * rate-limited and partially validated attempts never reach the breaker.
 */
export const breakerMachine = setup({
  types: {
    context: {} as BreakerContext,
    events: {} as BreakerEvent,
    input: {} as BreakerInput,
  },
  guards: {
    reachesThreshold: ({ context }) => context.consecutiveFailures + 1 >= context.failures,
    noProbeInFlight: ({ context }) => !context.probeInFlight,
  },
  actions: {
    countFailure: assign({ consecutiveFailures: ({ context }) => context.consecutiveFailures + 1 }),
    clearFailures: assign({ consecutiveFailures: 0 }),
    /** Opens (or reopens) with the cool-down of the next opening in a row. */
    trip: assign(({ context, event }) => {
      const { at } = event as Extract<BreakerEvent, { type: 'FAILURE' }>;
      const opens = context.opens + 1;
      const cooldownMs = breakerCooldownMs(context, opens);
      return {
        consecutiveFailures: context.consecutiveFailures + 1,
        opens,
        openedAt: at,
        reopenAt: at + cooldownMs,
        cooldownMs,
        probeInFlight: false,
      };
    }),
    halfOpen: assign({ probeInFlight: false }),
    startProbe: assign({ probeInFlight: true }),
    close: assign(CLOSED),
  },
}).createMachine({
  id: 'breaker',
  initial: 'closed',
  context: ({ input }) => {
    const baseCooldownMs = Math.max(0, input.cooldownMs);
    return {
      failures: Math.max(1, Math.floor(input.failures)),
      baseCooldownMs,
      maxCooldownMs: Math.max(baseCooldownMs, input.maxCooldownMs ?? 10 * baseCooldownMs),
      growth: Math.max(1, input.growth ?? 2),
      ...CLOSED,
    };
  },
  on: {
    RESET: { target: '.closed', actions: 'close' },
  },
  states: {
    closed: {
      on: {
        FAILURE: [
          { guard: 'reachesThreshold', target: 'open', actions: 'trip' },
          { actions: 'countFailure' },
        ],
        SUCCESS: { actions: 'clearFailures' },
      },
    },
    open: {
      // FAILURE and SUCCESS are deliberately ignored here. They can only come from attempts
      // that were already running when the breaker opened (nothing is dispatched while it
      // is open), so they describe the instrument before the cool-down began: a late
      // failure must not grow the cool-down or push `reopenAt` back (the outage that opened
      // the breaker is already being waited out), and a late success must not close it
      // without a probe (that would make the cool-down pointless).
      on: {
        COOLDOWN_ELAPSED: { target: 'halfOpen', actions: 'halfOpen' },
      },
    },
    halfOpen: {
      // Exactly one probe: a PROBE_STARTED while one is in flight is ignored (the conductor
      // must not send it; `breakerAllows` answers 'none' then).
      on: {
        PROBE_STARTED: { guard: 'noProbeInFlight', actions: 'startProbe' },
        PROBE_ENDED: { actions: assign({ probeInFlight: false }) },
        SUCCESS: { target: 'closed', actions: 'close' },
        FAILURE: { target: 'open', actions: 'trip' },
      },
    },
  },
});

export type BreakerSnapshot = SnapshotFrom<typeof breakerMachine>;

/**
 * What the dispatch planner may start on the breaker's instrument: any number of attempts
 * (`closed`), exactly one probe (`halfOpen`, none in flight yet), or nothing. Takes the
 * plain `value`/`context` pair, so a persisted snapshot works as well as a live one.
 */
export function breakerAllows(snapshot: {
  readonly value: BreakerSnapshot['value'];
  readonly context: Pick<BreakerContext, 'probeInFlight'>;
}): 'any' | 'one' | 'none' {
  switch (snapshot.value) {
    case 'closed':
      return 'any';
    case 'halfOpen':
      return snapshot.context.probeInFlight ? 'none' : 'one';
    default:
      return 'none';
  }
}
