import { assign, setup } from 'xstate';
import { backoffDelay } from './backoff.js';
import type { SheetEvent } from './sheet-events.js';
import type { BackoffPolicy, FailureReason, SheetMode } from './types.js';

export interface SheetInput {
  /** 1 + retries: attempts allowed on each instrument of the chain. */
  maxAttempts: number;
  /** Attempts allowed in completion mode after partial validations. */
  completionAttempts: number;
  heal: boolean;
  escalate: boolean;
  /** Number of fallback instruments after the primary one. */
  fallbacks: number;
  backoff: BackoffPolicy;
}

export interface SheetContext extends SheetInput {
  /** Normal attempts consumed on the current instrument. */
  attempts: number;
  /** Completion-mode attempts consumed (over the sheet's life). */
  completionUsed: number;
  /** The healing attempt has been used. */
  healed: boolean;
  /** Position in the fallback chain; 0 is the primary instrument. */
  instrumentIndex: number;
  /** Mode of the next (or current) attempt. */
  mode: SheetMode;
  /**
   * Every dispatch, whatever its outcome: the run number (`{{sheet.run}}`) that names the
   * attempt's output files. Never reset, and kept in the checkpoint with the context.
   */
  dispatches: number;
  /** Runs that ended rate-limited: dispatched, but they used no attempt. */
  rateLimited: number;
  /** Absolute time (conductor clock) of the scheduled retry, while in `retry`. */
  retryAt: number | null;
  /** Absolute time the rate limit is expected to lift, while in `waiting`. */
  waitUntil: number | null;
  lastError: string | null;
  reason: FailureReason | null;
  /** How a sheet came to be skipped: a failed dependency, or an explicit decision. */
  skipCause: 'dependency' | 'decision' | null;
}

type Outcome = Extract<SheetEvent, { type: 'SUCCEEDED' | 'FAILED' }>;

/** Normal attempts used once the attempt that just ended is counted. */
function attemptsAfter(context: SheetContext): number {
  return context.mode === 'normal' ? context.attempts + 1 : context.attempts;
}

function cannotStart(event: SheetEvent): boolean {
  return event.type === 'FAILED' && event.reason === 'unavailable';
}

function isFullSuccess(event: Outcome): boolean {
  return event.type === 'SUCCEEDED' && event.passRate >= 1;
}

function isPartialSuccess(context: SheetContext, event: Outcome): boolean {
  if (event.type !== 'SUCCEEDED' || event.passRate <= 0 || event.passRate >= 1) return false;
  const used = context.completionUsed + (context.mode === 'completion' ? 1 : 0);
  return used < context.completionAttempts;
}

function failureOf(event: Outcome): { reason: FailureReason; error: string } {
  if (event.type === 'FAILED') return { reason: event.reason, error: event.error };
  const percent = Math.round(event.passRate * 100);
  return { reason: 'validation_failed', error: `validations passed ${percent}%` };
}

/** Counts the attempt that just ended against the budget of its mode. */
function consumed(context: SheetContext): Partial<SheetContext> {
  switch (context.mode) {
    case 'normal':
      return { attempts: context.attempts + 1 };
    case 'completion':
      return { completionUsed: context.completionUsed + 1 };
    case 'healing':
      return { healed: true };
  }
}

/**
 * What an attempt's outcome does, in order: a failure retries while attempts remain, then
 * moves down the fallback chain, then heals once, then escalates to a fermata, else fails.
 * An attempt whose program could not start (`unavailable`) skips the retries and the
 * healing attempt: it moves down the chain, or escalates, or fails at once.
 */
const AFTER_FAILURE = [
  // A program that cannot be started will not start on a retry either.
  { guard: 'unavailableWithFallback', target: 'ready', actions: 'nextInstrument' },
  { guard: 'attemptsLeft', target: 'retry', actions: 'scheduleRetry' },
  { guard: 'fallbackLeft', target: 'ready', actions: 'nextInstrument' },
  { guard: 'healingLeft', target: 'retry', actions: 'scheduleHealing' },
  { guard: 'escalates', target: 'fermata', actions: 'exhausted' },
  { target: 'failed', actions: 'exhausted' },
] as const;

const OUTCOMES = {
  SUCCEEDED: [
    { guard: 'fullSuccess', target: 'completed', actions: 'succeeded' },
    { guard: 'partialSuccess', target: 'completion', actions: 'completionMode' },
    ...AFTER_FAILURE,
  ],
  FAILED: [...AFTER_FAILURE],
  RATE_LIMITED: [
    { guard: 'limitedRunsLeft', target: 'waiting', actions: 'startWaiting' },
    { target: 'failed', actions: 'limitedOut' },
  ],
  OVER_BUDGET: { target: 'failed', actions: 'overBudget' },
} as const;

/**
 * The lifecycle of one sheet (see docs/architecture.md). Pure: no timers, no clock; the conductor
 * reads `retryAt` / `waitUntil` from the context and schedules the matching events.
 */
export const sheetMachine = setup({
  types: {
    context: {} as SheetContext,
    events: {} as SheetEvent,
    input: {} as SheetInput,
  },
  guards: {
    skipOnDependencyFailure: ({ event }) =>
      event.type === 'DEPENDENCY_FAILED' && event.policy === 'skip',
    fullSuccess: ({ event }) => isFullSuccess(event as Outcome),
    partialSuccess: ({ context, event }) => isPartialSuccess(context, event as Outcome),
    // A program that cannot be started will not start on a retry or a healing attempt either.
    attemptsLeft: ({ context, event }) => attemptsAfter(context) < context.maxAttempts && !cannotStart(event),
    healingLeft: ({ context, event }) => context.heal && !context.healed && context.mode !== 'healing' && !cannotStart(event),
    fallbackLeft: ({ context }) => context.instrumentIndex < context.fallbacks,
    unavailableWithFallback: ({ context, event }) =>
      event.type === 'FAILED' && event.reason === 'unavailable' && context.instrumentIndex < context.fallbacks,
    escalates: ({ context }) => context.escalate,
    limitedRunsLeft: ({ context, event }) =>
      event.type === 'RATE_LIMITED' && context.rateLimited + 1 < event.maxLimitedRuns,
    decided: ({ event }, decision: string) =>
      event.type === 'DECIDE' && event.decision === decision,
  },
  actions: {
    countDispatch: assign({ dispatches: ({ context }) => context.dispatches + 1 }),
    // Spelled out: spreading `consumed(context)`, whose shape varies by mode, was the
    // machine's most expensive line on the path every sheet takes.
    succeeded: assign(({ context }) => {
      switch (context.mode) {
        case 'normal':
          return { attempts: context.attempts + 1, lastError: null, reason: null };
        case 'completion':
          return { completionUsed: context.completionUsed + 1, lastError: null, reason: null };
        case 'healing':
          return { healed: true, lastError: null, reason: null };
      }
    }),
    completionMode: assign(({ context }) => ({
      ...consumed(context),
      mode: 'completion' as const,
      lastError: null,
    })),
    scheduleRetry: assign(({ context, event }) => {
      const outcome = event as Outcome;
      const used = consumed(context);
      const failures = used.attempts ?? context.attempts;
      const { reason, error } = failureOf(outcome);
      return {
        ...used,
        mode: 'normal' as const,
        retryAt: outcome.at + backoffDelay(context.backoff, Math.max(1, failures), outcome.random),
        lastError: error,
        reason,
      };
    }),
    scheduleHealing: assign(({ context, event }) => {
      const outcome = event as Outcome;
      const { reason, error } = failureOf(outcome);
      return {
        ...consumed(context),
        mode: 'healing' as const,
        retryAt: outcome.at + backoffDelay(context.backoff, context.maxAttempts, outcome.random),
        lastError: error,
        reason,
      };
    }),
    nextInstrument: assign(({ context, event }) => {
      const { reason, error } = failureOf(event as Outcome);
      return {
        instrumentIndex: context.instrumentIndex + 1,
        attempts: 0,
        completionUsed: 0,
        healed: false,
        mode: 'normal' as const,
        lastError: error,
        reason,
      };
    }),
    instrumentUnavailable: assign(({ context, event }) => ({
      instrumentIndex: context.instrumentIndex + 1,
      attempts: 0,
      completionUsed: 0,
      healed: false,
      mode: 'normal' as const,
      lastError: event.type === 'UNAVAILABLE' ? event.error : 'instrument unavailable',
      reason: 'unavailable' as const,
    })),
    exhausted: assign(({ context, event }) => {
      const { reason, error } = failureOf(event as Outcome);
      return { ...consumed(context), lastError: error, reason };
    }),
    overBudget: assign(({ context, event }) => ({
      ...consumed(context),
      reason: 'budget' as const,
      lastError: event.type === 'OVER_BUDGET' ? event.error : 'over budget',
    })),
    startWaiting: assign({
      rateLimited: ({ context }) => context.rateLimited + 1,
      waitUntil: ({ event }) => (event.type === 'RATE_LIMITED' ? event.at + event.waitMs : null),
    }),
    limitedOut: assign(({ context }) => ({
      rateLimited: context.rateLimited + 1,
      reason: 'rate_limited' as const,
      lastError: `rate-limited ${context.rateLimited + 1} times`,
    })),
    clearTimers: assign({ retryAt: null, waitUntil: null }),
    skipForDependency: assign({ skipCause: 'dependency', reason: 'dependency' }),
    failForDependency: assign({
      reason: 'dependency',
      lastError: 'a dependency did not complete',
    }),
    skipByDecision: assign({ skipCause: 'decision', reason: 'decision' }),
    failByDecision: assign({ reason: 'decision' }),
    retryByDecision: assign({ attempts: 0, mode: 'normal', lastError: null }),
    acceptByDecision: assign({ reason: null, lastError: null }),
  },
}).createMachine({
  id: 'sheet',
  initial: 'pending',
  // Spelled out rather than spread from `input`: one fixed object shape per sheet is
  // measurably cheaper when a job creates 100,000 of them.
  context: ({ input }) => ({
    maxAttempts: input.maxAttempts,
    completionAttempts: input.completionAttempts,
    heal: input.heal,
    escalate: input.escalate,
    fallbacks: input.fallbacks,
    backoff: input.backoff,
    attempts: 0,
    completionUsed: 0,
    healed: false,
    instrumentIndex: 0,
    mode: 'normal',
    dispatches: 0,
    rateLimited: 0,
    retryAt: null,
    waitUntil: null,
    lastError: null,
    reason: null,
    skipCause: null,
  }),
  on: {
    CANCEL: '.cancelled',
  },
  states: {
    pending: {
      on: {
        DEPS_MET: 'ready',
        DEPENDENCY_FAILED: [
          { guard: 'skipOnDependencyFailure', target: 'skipped', actions: 'skipForDependency' },
          { target: 'failed', actions: 'failForDependency' },
        ],
      },
    },
    ready: {
      on: {
        DISPATCH: { target: 'dispatched', actions: 'countDispatch' },
        UNAVAILABLE: { guard: 'fallbackLeft', target: 'ready', reenter: true, actions: 'instrumentUnavailable' },
      },
    },
    dispatched: {
      // A musician that could not start reports its outcome straight from here.
      on: { STARTED: 'running', ...OUTCOMES },
    },
    running: {
      on: OUTCOMES,
    },
    waiting: {
      exit: 'clearTimers',
      on: { LIMIT_CLEARED: 'ready' },
    },
    retry: {
      exit: 'clearTimers',
      on: { RETRY_DUE: 'ready' },
    },
    completion: {
      on: { DISPATCH: { target: 'dispatched', actions: 'countDispatch' } },
    },
    fermata: {
      on: {
        DECIDE: [
          { guard: { type: 'decided', params: 'retry' }, target: 'ready', actions: 'retryByDecision' },
          { guard: { type: 'decided', params: 'skip' }, target: 'skipped', actions: 'skipByDecision' },
          { guard: { type: 'decided', params: 'fail' }, target: 'failed', actions: 'failByDecision' },
          { guard: { type: 'decided', params: 'accept' }, target: 'completed', actions: 'acceptByDecision' },
        ],
      },
    },
    completed: { type: 'final' },
    failed: { type: 'final' },
    skipped: { type: 'final' },
    cancelled: { type: 'final' },
  },
});
