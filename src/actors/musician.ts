import type { AbortSource } from './attempt-abort.js';
import { RUN_WITH_ABORT_SOURCE, type AbortSourceInstrument, type AttemptOutcome, type AttemptRequest, type Instrument } from './instruments/instrument.js';
import { errorMessage } from '../util/error-message.js';

/**
 * Plays one attempt on an instrument. Whatever the instrument does (throws synchronously,
 * rejects, returns garbage), the musician resolves with an outcome, so a sheet can never be
 * left `dispatched` or `running` without a result. A request still being assembled (its
 * context read from files) is awaited here, so that the conductor never waits for it.
 */
export function perform(
  instrument: Instrument,
  request: AttemptRequest | Promise<AttemptRequest>,
  abort: AbortSource,
  onStarted: (info?: { pid?: number }) => void,
): Promise<AttemptOutcome> {
  if (request instanceof Promise) {
    return request.then(
      (ready) => perform(instrument, ready, abort, onStarted),
      (error: unknown): AttemptOutcome => ({ status: 'failure', error: `its context could not be assembled: ${errorMessage(error)}` }),
    );
  }
  let played: Promise<AttemptOutcome>;
  try {
    const direct = (instrument as Partial<AbortSourceInstrument>)[RUN_WITH_ABORT_SOURCE];
    played =
      direct !== undefined
        ? direct.call(instrument, request, abort, { onStarted })
        : instrument.run(request, abort.signal, { onStarted });
  } catch (error) {
    return Promise.resolve(crashed(instrument, error));
  }
  return played.then(
    (outcome) => (isOutcome(outcome) ? outcome : stale(instrument)),
    (error: unknown) => crashed(instrument, error),
  );
}

function isOutcome(value: unknown): value is AttemptOutcome {
  return (
    typeof value === 'object' &&
    value !== null &&
    ((value as AttemptOutcome).status === 'success' || (value as AttemptOutcome).status === 'failure')
  );
}

/** The attempt ended and nobody reported how: a synthetic failure, so the sheet moves on. */
function stale(instrument: Instrument): AttemptOutcome {
  return { status: 'failure', stale: true, error: `instrument "${instrument.name}" ended the attempt without reporting an outcome` };
}

function crashed(instrument: Instrument, error: unknown): AttemptOutcome {
  const message = errorMessage(error);
  return { status: 'failure', error: `instrument "${instrument.name}" crashed: ${message}` };
}
