import type { PolicyState } from '../../store/types.js';
import { errorMessage } from '../../util/error-message.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../event-bus.js';
import type { Job } from '../model/job.js';
import type { LiveAttempt } from '../model/live-attempt.js';
import { flushCheckpoint } from './checkpoint.js';

export interface FlushHost {
  readonly clock: Clock;
  readonly bus: EventBus;
  /** The gates' state for the job row. */
  policies(job: Job): PolicyState;
  /** Stops an attempt of a job whose checkpoint can no longer be written. */
  abort(attempt: LiveAttempt): void;
}

/**
 * Writes a job's checkpoint. If the store fails, the job stops acting until it is resumed:
 * nothing it does could be recorded, so its attempts are stopped, it says why, and it
 * settles `interrupted`.
 */
export function flushOrHalt(job: Job, host: FlushHost): void {
  if (job.checkpoint === undefined || job.checkpointError !== undefined) return;
  try {
    flushCheckpoint(job, host.clock.now(), () => host.policies(job));
  } catch (error) {
    const message = errorMessage(error);
    job.checkpointFailed(message);
    for (const record of job.sheets) if (record.attempt !== undefined) host.abort(record.attempt);
    if (host.bus.observed) {
      host.bus.emit({ type: 'job.paused', jobId: job.jobId, reason: `checkpoint failed: ${message}`, at: host.clock.now() });
    }
    job.settle('interrupted');
  }
}
