import type { AttemptHooks, AttemptOutcome, AttemptRequest, Instrument } from '../actors/instruments/instrument.js';

/** How a test wants the attempt in flight to end. */
export type AttemptEnding =
  | { kind: 'success' }
  | { kind: 'failure' }
  /** The program behind the instrument cannot be started. */
  | { kind: 'unavailable' }
  | { kind: 'rateLimit'; waitMs: number }
  /** A successful attempt that reports spending `costUsd`. */
  | { kind: 'costly'; costUsd: number };

/**
 * Turns an ending into the outcome of a real attempt. The default builds the outcome
 * directly; to test an instrument integration, run your instrument so that it ends this way
 * (a stub backend answering 429, a missing binary…) and return what it reported.
 */
export type PlayAttempt = (ending: AttemptEnding, request: AttemptRequest, signal: AbortSignal) => Promise<AttemptOutcome>;

export const playOutcome: PlayAttempt = (ending) => Promise.resolve(outcomeOf(ending));

function outcomeOf(ending: AttemptEnding): AttemptOutcome {
  switch (ending.kind) {
    case 'success':
      return { status: 'success' };
    case 'failure':
      return { status: 'failure', error: 'the attempt failed', exitCode: 1 };
    case 'unavailable':
      return { status: 'failure', unavailable: true, error: 'the instrument cannot be started' };
    case 'rateLimit':
      return { status: 'failure', error: 'rate limited', rateLimitedS: ending.waitMs / 1000 };
    case 'costly':
      return { status: 'success', costUsd: ending.costUsd };
  }
}

/** An attempt an instrument has been given and not yet ended. */
export interface HeldAttempt {
  readonly request: AttemptRequest;
  readonly signal: AbortSignal;
  readonly hooks: AttemptHooks;
  end(ending: AttemptEnding): Promise<void>;
}

/**
 * An instrument whose attempts wait for the test: each `run` is held until the test starts
 * it and ends it. An abort (timeout, cancel, shutdown) ends it at once as a failure, as any
 * instrument must.
 */
export class HeldInstrument implements Instrument {
  readonly kind = 'function' as const;
  private readonly held = new Map<string, HeldAttempt>();

  constructor(
    readonly name: string,
    private readonly play: PlayAttempt = playOutcome,
  ) {}

  run(request: AttemptRequest, signal: AbortSignal, hooks: AttemptHooks): Promise<AttemptOutcome> {
    if (signal.aborted) return Promise.resolve({ status: 'failure', error: `aborted (${String(signal.reason)})` });
    return new Promise((resolve, reject) => {
      const release = (): void => {
        signal.removeEventListener('abort', onAbort);
        if (this.held.get(request.sheetId) === attempt) this.held.delete(request.sheetId);
      };
      const onAbort = (): void => {
        release();
        resolve({ status: 'failure', error: `aborted (${String(signal.reason)})` });
      };
      const attempt: HeldAttempt = {
        request,
        signal,
        hooks,
        // A `play` that throws makes `run` reject, which the musician reports as a crash.
        end: (ending) => {
          release();
          return this.play(ending, request, signal).then(resolve, reject);
        },
      };
      this.held.set(request.sheetId, attempt);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The attempt of `sheetId` this instrument holds, if any. */
  attemptOf(sheetId: string): HeldAttempt | undefined {
    return this.held.get(sheetId);
  }
}
