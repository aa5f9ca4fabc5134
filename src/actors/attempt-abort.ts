/**
 * How an attempt learns that it must stop. An `AbortSignal` costs an `AbortController`, an
 * `EventTarget` and a listener per attempt: for a 100,000-sheet job of quick functions that
 * nobody aborts, a measurable share of the run. So the conductor hands musicians this
 * instead, and the real signal is built only when something asks for it (a command
 * instrument does, a function that reads `ctx.signal` does).
 */
export interface AbortSource {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** The standard signal; built on first use, already aborted if the attempt was. */
  readonly signal: AbortSignal;
  /** Calls `listener` once, on abort (never if it already happened); returns the removal. */
  listen(listener: () => void): () => void;
}

/** The conductor's side: an {@link AbortSource} that it aborts. */
export class AttemptAbort implements AbortSource {
  private controller: AbortController | undefined = undefined;
  private listener: (() => void) | undefined = undefined;
  private abortedWith: { reason: unknown } | undefined = undefined;

  get aborted(): boolean {
    return this.abortedWith !== undefined;
  }

  get reason(): unknown {
    return this.abortedWith?.reason;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortedWith !== undefined) this.controller.abort(this.abortedWith.reason);
    }
    return this.controller.signal;
  }

  listen(listener: () => void): () => void {
    // One in-process listener at a time is all a musician needs; more go through the signal.
    if (this.listener !== undefined) return listenOnSignal(this.signal, listener);
    this.listener = listener;
    return () => {
      if (this.listener === listener) this.listener = undefined;
    };
  }

  abort(reason: unknown): void {
    if (this.abortedWith !== undefined) return;
    this.abortedWith = { reason };
    const listener = this.listener;
    this.listener = undefined;
    this.controller?.abort(reason);
    listener?.();
  }
}

/** An {@link AbortSource} over a signal someone else owns (an instrument called directly). */
export class SignalAbortSource implements AbortSource {
  constructor(readonly signal: AbortSignal) {}

  get aborted(): boolean {
    return this.signal.aborted;
  }

  get reason(): unknown {
    return this.signal.reason;
  }

  listen(listener: () => void): () => void {
    return listenOnSignal(this.signal, listener);
  }
}

function listenOnSignal(signal: AbortSignal, listener: () => void): () => void {
  if (signal.aborted) return () => {};
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}
