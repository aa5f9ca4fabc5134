/**
 * The views `planDispatch` reads, built with defaults that hold nothing back: a running job
 * with room under every cap, no gates, nothing in flight. Tests override what they vary.
 */
import type { DispatchView, JobView, planDispatch, ReadyQueueView } from '../../src/index.js';

/** A ready queue of an instrument (and model) holding `sheets`, in that order. */
export const queue = (instrument: string, sheets: number[], model?: string): ReadyQueueView => ({
  instrument,
  model,
  sheets: new Set(sheets),
});

/** A running job `j1` (unless `over` says otherwise) with the given ready queues. */
export const jobView = (over: Partial<JobView> & Pick<JobView, 'queues'>): JobView => ({
  jobId: 'j1',
  state: 'running',
  inFlight: 0,
  concurrency: 100,
  instrumentCaps: new Map(),
  modelCaps: new Map(),
  pacingMs: 0,
  lastDispatchAt: undefined,
  ...over,
});

/** A dispatch view of `jobs` at time 0, nothing in flight, not shutting down. */
export const dispatchView = (jobs: JobView[], over: Partial<DispatchView> = {}): DispatchView => ({
  shuttingDown: false,
  inFlight: 0,
  instrumentInFlight: new Map(),
  modelInFlight: new Map(),
  jobs,
  gates: new Map(),
  now: 0,
  ...over,
});

/** The `jobId:sheet` of every dispatch a plan makes, in its order. */
export const plannedIds = (plan: ReturnType<typeof planDispatch>): string[] => plan.dispatch.map((r) => `${r.jobId}:${r.sheet}`);
