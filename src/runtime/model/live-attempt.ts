import type { Subscription } from 'rxjs';
import type { AttemptAbort } from '../../actors/attempt-abort.js';
import type { AttemptRow } from '../../store/types.js';

/** One attempt in flight: the musician's handle, owned by the conductor (gates see it from dispatch to end). */
export interface LiveAttempt {
  readonly abort: AttemptAbort;
  readonly jobId: string;
  readonly sheetId: string;
  readonly instrument: string;
  readonly model: string | undefined;
  /** The attempt number its `sheet.dispatched` event announced. */
  readonly number: number;
  /** Conductor clock (ms) of the dispatch decision. */
  readonly dispatchedAt: number;
  timeout: Subscription | undefined;
  /** Why the conductor aborted it, if it did. */
  abortReason: 'timeout' | 'cancelled' | 'shutdown' | undefined;
  /** Aborted while its start still waited in a dispatch buffer: nothing of it ever ran. */
  withdrawn?: boolean;
  /** Its checkpoint row, when the job has a store. */
  row: AttemptRow | undefined;
}
