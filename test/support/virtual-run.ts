import type {
  AttemptOutcome,
  AttemptRequest,
  Conductor,
  Instrument,
  JobResult,
  VirtualClock,
} from '../../src/index.js';

/** Lets pending promise callbacks run: resolves on the next turn of the event loop. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * How long (real time) a run with no timer left may still take to settle before it counts
 * as stuck: events reach subscribers, and so `waitForCompletion`, on later ticks, in slices
 * that a loaded machine can spread out.
 */
const QUIET_MS = 2_000;

/**
 * The one loop behind every virtual-time run here: lets promises settle, checks `done`, and
 * while it does not hold jumps the clock to its next timer. Resolves true once `done()`
 * holds; false when no timer is left and `done()` still does not hold after `QUIET_MS` of
 * settling with no new timer (nothing is left to happen: the run is stuck). Throws after
 * `maxSteps` timers, a guard against a run that never ends.
 */
export async function advanceUntil(clock: VirtualClock, done: () => boolean, maxSteps = 1_000_000): Promise<boolean> {
  for (let step = 0; step < maxSteps; step++) {
    // Twice: what the last timer set off emits events, whose delivery (a tick later) may be
    // what `done` waits for, and it must come before virtual time moves on.
    await settle();
    if (done()) return true;
    await settle();
    if (done()) return true;
    if (clock.runNext()) continue;
    const quietUntil = performance.now() + QUIET_MS;
    do {
      await settle();
      if (done()) return true;
    } while (clock.pendingTimers === 0 && performance.now() < quietUntil);
    if (clock.pendingTimers === 0) return false;
  }
  throw new Error(`advanceUntil: still going after ${maxSteps} steps`);
}

/** Steps virtual time until `check` holds (after promises settled). Throws if nothing is left to happen first. */
export async function stepUntil(clock: VirtualClock, check: () => boolean): Promise<void> {
  if (!(await advanceUntil(clock, check))) throw new Error('stepUntil: nothing left to happen');
}

/**
 * Waits for `promise` in virtual time, and resolves or rejects as it does. Throws if no timer
 * is left and the promise has not settled; `what` names it in that error.
 */
export async function runVirtual<V>(promise: Promise<V>, clock: VirtualClock, what = 'the promise'): Promise<V> {
  let outcome: { ok: true; value: V } | { ok: false; error: unknown } | undefined;
  promise.then(
    (value) => (outcome = { ok: true, value }),
    (error: unknown) => (outcome = { ok: false, error }),
  );
  if (!(await advanceUntil(clock, () => outcome !== undefined))) {
    throw new Error(`${what} is stuck: no timer left and it has not settled`);
  }
  if (outcome!.ok) return outcome!.value;
  throw outcome!.error;
}

/** Runs a job to its end in virtual time. Throws if nothing is left to happen before it ends. */
export function runToEnd(conductor: Conductor, clock: VirtualClock, jobId: string): Promise<JobResult> {
  return runVirtual(conductor.waitForCompletion(jobId), clock, `job ${jobId}`);
}

/**
 * Runs every job to its end (or hold, or pause) in virtual time, and returns their results in
 * the order of `jobIds`. Unlike `runToEnd` it does not throw when nothing is left to happen
 * before they all ended: it returns 'stuck', for tests to assert on.
 */
export async function runAll(conductor: Conductor, clock: VirtualClock, jobIds: string[]): Promise<JobResult[] | 'stuck'> {
  const results = new Map<string, JobResult>();
  for (const id of jobIds) void conductor.waitForCompletion(id).then((result) => results.set(id, result));
  if (!(await advanceUntil(clock, () => results.size === jobIds.length))) return 'stuck';
  return jobIds.map((id) => results.get(id)!);
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
