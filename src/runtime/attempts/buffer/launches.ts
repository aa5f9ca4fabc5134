import type { AttemptOutcome, Instrument } from '../../../actors/instruments/instrument.js';
import { perform } from '../../../actors/musician.js';
import type { Launch, MusicianReport } from '../launch.js';
import type { Clock } from '../../clock.js';
import type { StartFailure, StartFailureInfo } from './dispatch-buffer.js';
import type { BufferRegistryHost } from './registry.js';
import type { EventBus } from '../../event-bus.js';

export interface LaunchStartsHost {
  readonly clock: Clock;
  readonly bus: EventBus;
  post(report: MusicianReport): void;
  /** Reports how an attempt ended (after its validations) and marks it done. */
  conclude(launch: Launch, outcome: AttemptOutcome): void;
  roomFreed(): void;
}

/**
 * How buffer workers start musicians. A worker is busy until the instrument says the work
 * started, or the attempt ended without starting; a transient start error goes back to the
 * buffer to be tried again, so the sheet stays `dispatched` and keeps its attempts.
 */
export function launchStarts(host: LaunchStartsHost): BufferRegistryHost<Launch> {
  return {
    clock: host.clock,
    bus: host.bus,
    start: (launch) => startMusician(host, launch),
    startFailed: (launch, failure, info) => startFailed(host, launch, failure, info),
    roomFreed: () => host.roomFreed(),
  };
}

function startMusician(host: LaunchStartsHost, launch: Launch): Promise<StartFailure | undefined> {
  const { job, record, attempt, request } = launch;
  const instrument = job.instruments.get(attempt.instrument) as Instrument;
  const abort = attempt.abort;
  return new Promise((resolve) => {
    let started = false;
    const played = perform(instrument, launch.assemble?.() ?? request, abort, (info) => {
      started = true;
      host.post({ kind: 'started', job, record, attempt, pid: info?.pid });
      resolve(undefined);
    });
    void played.then((outcome) => {
      const startError = outcome.startError;
      // An aborted attempt (timeout, cancel, shutdown) ends here, whatever stopped its start.
      if (!started && startError !== undefined && !abort.aborted) {
        resolve({ permanent: startError.permanent, error: outcome.error ?? `instrument "${instrument.name}" could not start` });
        return;
      }
      host.conclude(launch, outcome);
      resolve(undefined);
    });
  });
}

/** A start failed: said on the bus; once final, the attempt fails as `unavailable`. */
function startFailed(host: LaunchStartsHost, launch: Launch, failure: StartFailure, info: StartFailureInfo): void {
  const { job, record, attempt } = launch;
  if (host.bus.observed) {
    host.bus.emit({
      type: 'dispatch.start_error',
      jobId: job.jobId,
      sheetId: record.id,
      instrument: attempt.instrument,
      permanent: failure.permanent,
      error: failure.error,
      at: host.clock.now(),
    });
  }
  if (info.retryInMs !== undefined) return;
  const error = failure.permanent || info.tries === 1 ? failure.error : `${failure.error} (gave up after ${info.tries} tries)`;
  host.conclude(launch, { status: 'failure', unavailable: true, error });
}
