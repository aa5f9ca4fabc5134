import type { JobOutcome } from '../../machines/types.js';
import type { Job } from './job.js';

/**
 * Whether a job has settled, and how: ended (every sheet terminal, no musician left), or
 * `held` (nothing can move until a fermata is decided). Undefined while it can progress.
 */
export function settledOutcome(job: Job): JobOutcome | undefined {
  if (job.inFlight > 0) return undefined;
  const c = job.counts;
  if (job.terminalCount === job.sheets.length) {
    if (job.state === 'cancelled') return 'cancelled';
    const unsatisfied = c.failed + c.cancelled + c.skipped - job.decisionSkips;
    return unsatisfied === 0 ? 'completed' : 'failed';
  }
  // Spent budget: nothing new starts, and once the running attempts are done the job waits
  // for a raised budget.
  if (job.pauseReasons.has('budget')) return 'paused';
  if (c.fermata > 0 && job.activeCount === 0 && job.backlog.size === 0) return 'held';
  return undefined;
}
