import type { InspectionEvent, Observer } from 'xstate';
import type { Clock } from './clock.js';
import type { CoordinationOptions } from './coordination/shared-policy.js';
import type { InstrumentOverrides } from './instruments.js';
import type { JobOutcome } from '../machines/types.js';
import type { JobStatus } from './status.js';
import type { CheckpointStore } from '../store/types.js';

export interface ConductorOptions {
  /**
   * Global cap on sheets dispatched or running at once, across every job.
   * @default Infinity (each score's `concurrency` still applies)
   */
  maxConcurrent?: number;
  /**
   * The one clock and timer source of the runtime. Pass a `VirtualClock` to run in virtual time.
   * @default rxjs `asyncScheduler` (real time)
   */
  clock?: Clock;
  /**
   * Source of randomness for backoff jitter, a function returning [0, 1).
   * @default Math.random
   */
  random?: () => number;
  /**
   * How many sheets of one job may wait `ready` per (instrument, model) at once. Ready
   * sheets are live actors; sheets released beyond this stay `pending` (their dependencies
   * met) and become ready, in order, as the queue drains. Any value at or above what one
   * dispatch decision can take keeps the same dispatch order and throughput. A sheet that
   * comes back to `ready` (after a retry or a rate-limit wait, or on a fallback) rejoins its
   * queue whatever the queue's size: it is live already, and holding it back would leave a
   * slot idle; the window only bounds the sheets it admits.
   * @default four times the job's `concurrency`, at least 32 and at most 1,000
   */
  readyWindow?: number;
  /**
   * Whether an attempt reads its sheet's `context` and the `{{deps.ID.output}}` it names
   * (real files, read before the instrument is called). `baton simulate` turns it off: its
   * instruments read nothing, and real I/O between virtual-time steps would make a seed's
   * run differ from one run to the next; `{{context}}` and those names render empty then.
   * @default true
   */
  readContext?: boolean;
  /**
   * Shares rate limits, circuit breakers and `shared_concurrency` caps with every other
   * conductor on a coordination backend (`SqliteCoordination` or `RedisCoordination` from
   * `baton-runtime/cluster`), under each instrument's `shared_as` identity. The conductor
   * polls it on its clock and stops at `shutdown()`; closing the backend is the caller's.
   * @default none: policy state is this conductor's own
   */
  coordination?: CoordinationOptions;
  /** Receives XState inspection events of the conductor and of every sheet actor. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

export interface RegisterOptions {
  /** Instruments to use instead of the ones the score describes, by name (for tests and embedding). */
  instruments?: InstrumentOverrides;
  /**
   * Where the job's checkpoint goes: every transition that matters is written there before
   * the conductor acts on it. Must be empty for `register`; `restore` continues what it holds.
   * The conductor takes the store's lock and releases it at shutdown.
   */
  store?: CheckpointStore;
}

export interface RestoreOptions extends RegisterOptions {
  store: CheckpointStore;
  /** Continue even though the score changed incompatibly (sheets the checkpoint knows are dropped). */
  force?: boolean;
}

/** What `waitForCompletion` resolves with: the outcome and a final status snapshot. */
export interface JobResult extends JobStatus {
  outcome: JobOutcome;
}
