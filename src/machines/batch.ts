import { assign, setup } from 'xstate';
import { backoffDelay } from './backoff.js';
import type { BackoffPolicy } from './types.js';

/** The states of a batch of a fan-out run; the names are public API (inspection, snapshots). */
export const BATCH_STATES = [
  'queued',
  'running',
  'retry',
  'routing',
  'succeeded',
  'failed',
  'skipped',
  'routed',
  'cancelled',
] as const;

export type BatchState = (typeof BATCH_STATES)[number];

/**
 * Why an attempt of a batch failed: the executor threw or rejected (`error`), did not finish
 * within the batch timeout (`timeout`), or returned a different number of results than the
 * batch had items or an array with holes (`length`); `route` when the route handler itself failed.
 */
export type BatchFailureReason = 'error' | 'timeout' | 'length' | 'route';

/** What happens to a batch once its attempts are exhausted. */
export type BatchExhaustion = 'halt' | 'skip' | 'route';

export interface BatchInput {
  /** 0-based position of the batch in the run, in the order batches were formed. */
  index: number;
  /** Number of items in the batch: exactly this many results are expected. */
  size: number;
  /** Attempts allowed, the first included. At least 1. */
  maxAttempts: number;
  exhausted: BatchExhaustion;
  backoff: BackoffPolicy;
}

export interface BatchContext extends BatchInput {
  /** Attempts started so far. */
  attempts: number;
  /** Absolute time (run clock) the next attempt is due, while in `retry`. */
  retryAt: number | null;
  lastError: string | null;
  reason: BatchFailureReason | null;
}

export type BatchEvent =
  /** A slot is free: the first attempt starts. */
  | { type: 'START' }
  /**
   * The executor returned an array of `count` slots, `holes` of them empty (a sparse array);
   * `at` and `random` drive the backoff if the batch did not get one result per item.
   */
  | { type: 'SUCCEEDED'; count: number; holes: number; at: number; random: number }
  /** The attempt threw, rejected or timed out. */
  | { type: 'FAILED'; reason: 'error' | 'timeout'; error: string; at: number; random: number }
  /** The runtime's timer for `retryAt` fired. */
  | { type: 'RETRY_DUE' }
  /** The route handler took the failed batch. */
  | { type: 'ROUTED' }
  | { type: 'ROUTE_FAILED'; error: string }
  /** The run stopped (aborted, halted by another batch, or its consumer went away). */
  | { type: 'CANCEL' };

type Outcome = Extract<BatchEvent, { type: 'SUCCEEDED' | 'FAILED' }>;

function failureOf(context: BatchContext, event: Outcome): { reason: BatchFailureReason; error: string } {
  if (event.type === 'FAILED') return { reason: event.reason, error: event.error };
  return { reason: 'length', error: lengthText(event.count, event.holes, context.size) };
}

/** Why `count` slots with `holes` empty ones are not one result for each of `size` items. */
export function lengthText(count: number, holes: number, size: number): string {
  const items = `${size} item${size === 1 ? '' : 's'}`;
  if (holes === 0) return `executor returned ${count} result${count === 1 ? '' : 's'} for ${items}`;
  return `executor returned an array of ${count} with ${holes} hole${holes === 1 ? '' : 's'} for ${items}`;
}

const AFTER_FAILURE = [
  { guard: 'attemptsLeft', target: 'retry', actions: 'scheduleRetry' },
  { guard: { type: 'exhaustedBy', params: 'skip' }, target: 'skipped', actions: 'recordFailure' },
  { guard: { type: 'exhaustedBy', params: 'route' }, target: 'routing', actions: 'recordFailure' },
  { target: 'failed', actions: 'recordFailure' },
] as const;

/**
 * The lifecycle of one batch of `dispatchBatches` / `streamBatches`. Pure: no timers, no
 * clock; time comes in the outcome events, and the runtime reads `retryAt` to schedule
 * `RETRY_DUE`. A batch whose executor returns the wrong number of results, or an array with
 * holes, has failed that attempt: the machine never accepts a truncated, padded or sparse batch.
 */
export const batchMachine = setup({
  types: {
    context: {} as BatchContext,
    events: {} as BatchEvent,
    input: {} as BatchInput,
  },
  guards: {
    allResults: ({ context, event }) => event.type === 'SUCCEEDED' && event.count === context.size && event.holes === 0,
    attemptsLeft: ({ context }) => context.attempts < context.maxAttempts,
    exhaustedBy: ({ context }, policy: BatchExhaustion) => context.exhausted === policy,
  },
  actions: {
    startAttempt: assign({ attempts: ({ context }) => context.attempts + 1, retryAt: null }),
    scheduleRetry: assign(({ context, event }) => {
      const outcome = event as Outcome;
      const { reason, error } = failureOf(context, outcome);
      return {
        retryAt: outcome.at + backoffDelay(context.backoff, context.attempts, outcome.random),
        lastError: error,
        reason,
      };
    }),
    recordFailure: assign(({ context, event }) => {
      const { reason, error } = failureOf(context, event as Outcome);
      return { reason, lastError: error };
    }),
    succeeded: assign({ lastError: null, reason: null }),
    routeFailed: assign({
      reason: 'route' as const,
      lastError: ({ event }) => (event.type === 'ROUTE_FAILED' ? event.error : 'route failed'),
    }),
  },
}).createMachine({
  id: 'batch',
  initial: 'queued',
  context: ({ input }) => ({
    index: input.index,
    size: input.size,
    maxAttempts: Math.max(1, input.maxAttempts),
    exhausted: input.exhausted,
    backoff: input.backoff,
    attempts: 0,
    retryAt: null,
    lastError: null,
    reason: null,
  }),
  on: {
    CANCEL: '.cancelled',
  },
  states: {
    queued: {
      on: { START: { target: 'running', actions: 'startAttempt' } },
    },
    running: {
      on: {
        SUCCEEDED: [{ guard: 'allResults', target: 'succeeded', actions: 'succeeded' }, ...AFTER_FAILURE],
        FAILED: [...AFTER_FAILURE],
      },
    },
    retry: {
      on: { RETRY_DUE: { target: 'running', actions: 'startAttempt' } },
    },
    routing: {
      on: {
        ROUTED: 'routed',
        ROUTE_FAILED: { target: 'failed', actions: 'routeFailed' },
      },
    },
    succeeded: { type: 'final' },
    failed: { type: 'final' },
    skipped: { type: 'final' },
    routed: { type: 'final' },
    cancelled: { type: 'final' },
  },
});
