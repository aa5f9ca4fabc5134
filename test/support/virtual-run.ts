import type {
  AttemptOutcome,
  AttemptRequest,
  Conductor,
  Instrument,
  JobResult,
  VirtualClock,
} from '../../src/index.js';

export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs a job to its end in virtual time: lets promises settle, then jumps the clock to
 * the next timer, until the job resolves. Throws if nothing is left to happen.
 */
export async function runToEnd(conductor: Conductor, clock: VirtualClock, jobId: string): Promise<JobResult> {
  let result: JobResult | undefined;
  void conductor.waitForCompletion(jobId).then((r) => (result = r));
  for (let step = 0; step < 1_000_000; step++) {
    await settle();
    if (result !== undefined) return result;
    if (!clock.runNext()) {
      await settle();
      if (result !== undefined) return result;
      throw new Error(`job ${jobId} is stuck: no timer left and it has not ended`);
    }
  }
  throw new Error('runToEnd: too many steps');
}

export interface Behaviour {
  durationMs: number;
  outcome: AttemptOutcome;
}

export interface StartRecord {
  sheetId: string;
  attempt: number;
  at: number;
  instrument: string;
  model: string | undefined;
}

/**
 * An instrument that takes virtual time. It tracks what is in flight so tests can check
 * caps from the outside, as a real backend would see them.
 */
export class SimInstrument implements Instrument {
  readonly kind = 'function' as const;
  inFlight = 0;
  maxInFlight = 0;
  readonly inFlightByModel = new Map<string, number>();
  readonly maxByModel = new Map<string, number>();
  readonly starts: StartRecord[] = [];

  constructor(
    readonly name: string,
    private readonly clock: VirtualClock,
    private readonly behave: (request: AttemptRequest) => Behaviour,
    private readonly observer?: { onStart?(r: AttemptRequest, i: SimInstrument): void; onEnd?(r: AttemptRequest, o: AttemptOutcome): void },
  ) {}

  run(request: AttemptRequest, signal: AbortSignal, hooks: { onStarted(): void }): Promise<AttemptOutcome> {
    const { durationMs, outcome } = this.behave(request);
    const model = request.model;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (model !== undefined) {
      const n = (this.inFlightByModel.get(model) ?? 0) + 1;
      this.inFlightByModel.set(model, n);
      this.maxByModel.set(model, Math.max(this.maxByModel.get(model) ?? 0, n));
    }
    this.starts.push({ sheetId: request.sheetId, attempt: request.attempt, at: this.clock.now(), instrument: this.name, model });
    this.observer?.onStart?.(request, this);
    hooks.onStarted();
    return new Promise((resolve) => {
      const finish = (result: AttemptOutcome): void => {
        this.inFlight--;
        if (model !== undefined) this.inFlightByModel.set(model, this.inFlightByModel.get(model)! - 1);
        this.observer?.onEnd?.(request, result);
        resolve(result);
      };
      const timer = this.clock.schedule(() => {
        signal.removeEventListener('abort', onAbort);
        finish(outcome);
      }, durationMs);
      const onAbort = (): void => {
        timer.unsubscribe();
        finish({ status: 'failure', error: `aborted (${String(signal.reason)})` });
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

export const ok: AttemptOutcome = { status: 'success' };
export const fail = (error = 'boom'): AttemptOutcome => ({ status: 'failure', error, exitCode: 1 });
