import type { AttemptHooks, AttemptOutcome, AttemptRequest, Instrument, VirtualClock } from '../../src/index.js';

/** How one call of `run` goes: it starts (after `startMs`), or fails to start. */
export type StartBehaviour = 'start' | 'transient' | 'permanent';

/**
 * An instrument whose start takes virtual time (a remote API, a cold process) before the
 * work itself runs for `runMs`. It records what a real backend would see: every call, the
 * starts in progress at once, and the work begun.
 */
export class SlowStartInstrument implements Instrument {
  readonly kind = 'function' as const;
  /** Every call of `run`, with the virtual time it was made at. */
  readonly calls: Array<{ sheetId: string; attempt: number; aborted: boolean; at: number }> = [];
  readonly begun: string[] = [];
  starting = 0;
  maxStarting = 0;

  constructor(
    readonly name: string,
    private readonly clock: VirtualClock,
    private readonly options: {
      /** How long a start takes: one figure, or per sheet. */
      startMs: number | ((sheetId: string) => number);
      runMs: number;
      /** How the n-th call (1-based, counted per sheet) goes; default: it starts. */
      behave?: (sheetId: string, call: number) => StartBehaviour;
    },
  ) {}

  private startMs(sheetId: string): number {
    const { startMs } = this.options;
    return typeof startMs === 'number' ? startMs : startMs(sheetId);
  }

  run(request: AttemptRequest, signal: AbortSignal, hooks: AttemptHooks): Promise<AttemptOutcome> {
    this.calls.push({ sheetId: request.sheetId, attempt: request.attempt, aborted: signal.aborted, at: this.clock.now() });
    if (signal.aborted) return Promise.resolve({ status: 'failure', error: 'aborted before it started' });
    const call = this.calls.filter((c) => c.sheetId === request.sheetId).length;
    const behaviour = this.options.behave?.(request.sheetId, call) ?? 'start';
    this.starting++;
    this.maxStarting = Math.max(this.maxStarting, this.starting);
    return new Promise((resolve) => {
      let startingNow = true;
      const onAbort = (): void => {
        timer.unsubscribe();
        if (startingNow) this.starting--;
        resolve({ status: 'failure', error: 'aborted' });
      };
      let timer = this.clock.schedule(() => {
        startingNow = false;
        this.starting--;
        if (behaviour !== 'start') {
          signal.removeEventListener('abort', onAbort);
          const permanent = behaviour === 'permanent';
          resolve({
            status: 'failure',
            ...(permanent && { unavailable: true }),
            startError: { permanent },
            error: permanent ? `cannot start "${this.name}": no such endpoint` : `cannot start "${this.name}": too many connections`,
          });
          return;
        }
        this.begun.push(request.sheetId);
        hooks.onStarted();
        timer = this.clock.schedule(() => {
          signal.removeEventListener('abort', onAbort);
          resolve({ status: 'success' });
        }, this.options.runMs);
      }, this.startMs(request.sheetId));
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
