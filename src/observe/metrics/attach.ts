import { SHEET_STATES } from '../../machines/types.js';
import type { Conductor } from '../../runtime/conductor.js';
import { EventMetrics } from './event-metrics.js';
import type { GaugeSource, MetricsRecorder } from './recorder.js';

/** What `attachMetrics` returns: call it to stop recording the conductor. */
export interface MetricsAttachment {
  (): void;
  /**
   * Resolves once the conductor's event stream has ended (at its shutdown) and every event
   * of it was recorded, or once recording stopped.
   */
  readonly ended: Promise<void>;
}

/**
 * Records a conductor's metrics: counters and histograms from its events, gauges (sheets
 * per state, rate limits, breakers) read from it whenever the recorder collects. Attach
 * before registering jobs to count every attempt; nothing runs on a timer.
 */
export function attachMetrics(conductor: Conductor, recorder: MetricsRecorder): MetricsAttachment {
  const events = new EventMetrics(recorder, (jobId) => {
    try {
      return conductor.status(jobId).name;
    } catch {
      return undefined;
    }
  });
  const instruments = events.instruments;
  const source: GaugeSource = {
    *sheetCounts() {
      for (const jobId of conductor.jobIds()) {
        const status = conductor.status(jobId);
        // Instruments no event named yet (a job restored with a breaker open) still get a breaker row.
        for (const sheet of status.sheets) instruments.add(sheet.instrument);
        for (const state of SHEET_STATES) yield { job: status.name, state, count: status.counts[state] };
      }
    },
    *rateLimits() {
      const limits = conductor.rateLimits;
      for (const { instrument, model } of limits.activeLimits()) {
        const { limited, remainingMs } = limits.isRateLimited(instrument, model);
        if (limited) yield { instrument, model, remainingMs };
      }
    },
    *breakers() {
      for (const instrument of instruments) yield { instrument, state: conductor.breakerState(instrument) };
    },
    coordination() {
      const { target, online } = conductor.sharedPolicy();
      return target === undefined ? undefined : { target, online: online !== false };
    },
    sharedCaps() {
      return conductor.sharedPolicy().caps;
    },
  };
  const removeSource = recorder.addGaugeSource(source);
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  const subscription = conductor.events$.subscribe({
    next: (event) => events.record(event),
    complete: () => end(),
  });
  const detach = (): void => {
    subscription.unsubscribe();
    removeSource();
    end();
  };
  return Object.assign(detach, { ended });
}
