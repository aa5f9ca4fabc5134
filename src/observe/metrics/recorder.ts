import type { FailureReason, SheetState } from '../../machines/types.js';

/** What an ended attempt counts as; the `outcome` of an `attempt.ended` event. */
export type AttemptOutcomeLabel = 'success' | 'partial' | 'failure' | 'rate_limited' | 'cancelled' | 'interrupted';

/** One ended attempt, as metrics see it: labels only, never a sheet id. */
export interface EndedAttempt {
  /** The job's name (its score's `name`), not its id: names stay few, ids grow with every run. */
  job: string;
  instrument: string;
  model: string | undefined;
  outcome: AttemptOutcomeLabel;
  reason: FailureReason | undefined;
  /** From the dispatch decision to the end of the attempt. */
  durationSeconds: number;
  costUsd: number;
}

/**
 * Where gauges read their values when metrics are collected. Reading state at collection
 * time keeps gauges exact without a timer and without replaying every transition.
 */
export interface GaugeSource {
  /** Sheets per job name and state; several rows for one (job, state) are added up. */
  sheetCounts(): Iterable<{ job: string; state: SheetState; count: number }>;
  /** Rate limits in force now. */
  rateLimits(): Iterable<{ instrument: string; model: string | undefined; remainingMs: number }>;
  /** Circuit breakers of the instruments seen so far. */
  breakers(): Iterable<{ instrument: string; state: 'closed' | 'open' | 'halfOpen' }>;
  /** The coordination backend, when policy state is shared, and whether it answers. */
  coordination?(): { target: string; online: boolean } | undefined;
  /** `shared_concurrency` caps: attempts of each identity running on every conductor, and here. */
  sharedCaps?(): Iterable<{ identity: string; limit: number; running: number; here: number }>;
}

/**
 * Receives what baton measures. `attachMetrics` translates a conductor's events into these
 * calls; implement it to feed another metrics system, or use `PrometheusRecorder`.
 */
export interface MetricsRecorder {
  /** An instrument's dispatch buffer changed: starts waiting for a worker, and starts under way. */
  bufferDepth(instrument: string, queued: number, starting: number): void;
  /** A sheet could not be handed to its instrument's full dispatch buffer. */
  atCapacity(instrument: string): void;
  /** Starting a musician failed; a permanent failure is not retried. */
  startError(instrument: string, permanent: boolean): void;
  /** From the dispatch decision to the musician's start. */
  dispatchLatency(instrument: string, seconds: number): void;
  /** An attempt ended and was judged. */
  attemptEnded(attempt: EndedAttempt): void;
  /** Adds a source of gauge values; returns the function that removes it. */
  addGaugeSource(source: GaugeSource): () => void;
}

/** A recorder that records nothing: the default when metrics are off. */
export class NoopRecorder implements MetricsRecorder {
  bufferDepth(): void {}
  atCapacity(): void {}
  startError(): void {}
  dispatchLatency(): void {}
  attemptEnded(): void {}
  addGaugeSource(): () => void {
    return () => {};
  }
}
