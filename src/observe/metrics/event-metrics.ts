import type { BatonEvent } from '../../runtime/events.js';
import type { MetricsRecorder } from './recorder.js';

/**
 * Dispatches waiting for their musician's start. An entry leaves when the sheet starts
 * running or its attempt ends; the cap only matters if starts are never reported.
 */
const MAX_PENDING_STARTS = 10_000;

/**
 * Turns the observer events of a conductor into recorder calls. Holds only what the
 * events do not carry: when each in-flight sheet was dispatched (for the dispatch
 * latency), the name of each job, and the instruments seen (for their breakers).
 */
export class EventMetrics {
  /** Instruments named by any event so far. */
  readonly instruments = new Set<string>();
  private readonly dispatched = new Map<string, { at: number; instrument: string }>();
  private readonly jobNames = new Map<string, string>();

  constructor(
    private readonly recorder: MetricsRecorder,
    /** Names a job whose `job.started` came before recording began; the id is used if it cannot. */
    private readonly lookupJobName: (jobId: string) => string | undefined = () => undefined,
  ) {}

  record(event: BatonEvent): void {
    switch (event.type) {
      case 'job.started':
        this.jobNames.set(event.jobId, event.name);
        return;
      case 'sheet.dispatched':
        this.instruments.add(event.instrument);
        this.startPending(sheetKey(event), event.at, event.instrument);
        return;
      case 'sheet.running': {
        const key = sheetKey(event);
        const dispatch = this.dispatched.get(key);
        if (dispatch === undefined) return;
        this.dispatched.delete(key);
        this.recorder.dispatchLatency(dispatch.instrument, Math.max(0, event.at - dispatch.at) / 1000);
        return;
      }
      case 'attempt.ended':
        // An attempt that never started running leaves no latency behind.
        this.dispatched.delete(sheetKey(event));
        this.instruments.add(event.instrument);
        this.recorder.attemptEnded({
          job: this.jobName(event.jobId),
          instrument: event.instrument,
          model: event.model,
          outcome: event.outcome,
          reason: event.reason,
          durationSeconds: Math.max(0, event.durationMs) / 1000,
          costUsd: event.costUsd,
        });
        return;
      case 'dispatch.at_capacity':
        this.recorder.atCapacity(event.instrument);
        return;
      case 'dispatch.start_error':
        this.recorder.startError(event.instrument, event.permanent);
        return;
      case 'buffer.depth':
        this.recorder.bufferDepth(event.instrument, event.queued, event.starting);
        return;
      case 'circuit.open':
      case 'circuit.half_open':
      case 'circuit.closed':
      case 'rate_limit.active':
        this.instruments.add(event.instrument);
        return;
      default:
        return;
    }
  }

  /** Dispatches still waiting for their start (bounded). */
  get pendingStarts(): number {
    return this.dispatched.size;
  }

  private startPending(key: string, at: number, instrument: string): void {
    this.dispatched.delete(key);
    if (this.dispatched.size >= MAX_PENDING_STARTS) {
      const oldest = this.dispatched.keys().next();
      if (oldest.done !== true) this.dispatched.delete(oldest.value);
    }
    this.dispatched.set(key, { at, instrument });
  }

  private jobName(jobId: string): string {
    let name = this.jobNames.get(jobId);
    if (name === undefined) {
      name = this.lookupJobName(jobId) ?? jobId;
      this.jobNames.set(jobId, name);
    }
    return name;
  }
}

function sheetKey(event: { jobId: string; sheetId: string }): string {
  return `${event.jobId}\u0000${event.sheetId}`;
}
