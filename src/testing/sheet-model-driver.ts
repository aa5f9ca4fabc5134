import type { SheetEvent } from '../machines/sheet-events.js';
import type { FermataDecision } from '../machines/types.js';
import type { SheetObservation } from './sheet-observation.js';

/** How an attempt failed, as the model tells the driver to make it fail. */
export type ModelFailure = 'failed' | 'unavailable' | 'timeout';

/**
 * How a runtime is made to do what a model event says. Every method must act through the
 * runtime's own mechanisms (its API, its instruments, its clock) and return once the runtime
 * has settled; the model then compares `state()` with its own snapshot.
 */
export interface SheetModelDriver {
  /** `DEPS_MET`: the sheet's dependency completes. */
  dependenciesMet(): Promise<void>;
  /** `DEPENDENCY_FAILED`: the sheet's dependency fails. */
  dependencyFailed(): Promise<void>;
  /** `DISPATCH`: the runtime is let to dispatch the sheet. */
  dispatch(): Promise<void>;
  /** `STARTED`: the instrument begins the attempt. */
  start(): Promise<void>;
  /** `SUCCEEDED`: the attempt succeeds and `passRate` of its validations pass. */
  succeed(passRate: number): Promise<void>;
  /** `FAILED`: the attempt fails this way (a timeout: the attempt outlives its time limit). */
  fail(reason: ModelFailure): Promise<void>;
  /** `RATE_LIMITED`: the attempt reports a rate limit of `waitMs`. */
  rateLimit(waitMs: number): Promise<void>;
  /** `OVER_BUDGET`: the attempt reports a cost past the sheet's budget. */
  overBudget(): Promise<void>;
  /** `UNAVAILABLE`: the circuit of the sheet's instrument opens while the sheet is ready. */
  circuitOpen(): Promise<void>;
  /** `RETRY_DUE`: time passes until the scheduled retry. */
  retryDue(): Promise<void>;
  /** `LIMIT_CLEARED`: the instrument's rate limit is cleared. */
  limitCleared(): Promise<void>;
  /** `DECIDE`: the fermata is resolved. */
  decide(decision: FermataDecision): Promise<void>;
  /** `CANCEL`: the job is cancelled. */
  cancel(): Promise<void>;
  /** What the runtime shows of the sheet now. */
  state(): SheetObservation | Promise<SheetObservation>;
}

/** Performs one model event through a driver. */
export function performEvent(driver: SheetModelDriver, event: SheetEvent): Promise<void> {
  switch (event.type) {
    case 'DEPS_MET':
      return driver.dependenciesMet();
    case 'DEPENDENCY_FAILED':
      return driver.dependencyFailed();
    case 'DISPATCH':
      return driver.dispatch();
    case 'STARTED':
      return driver.start();
    case 'SUCCEEDED':
      return driver.succeed(event.passRate);
    case 'FAILED':
      return driver.fail(modelFailure(event.reason));
    case 'RATE_LIMITED':
      return driver.rateLimit(event.waitMs);
    case 'OVER_BUDGET':
      return driver.overBudget();
    case 'UNAVAILABLE':
      return driver.circuitOpen();
    case 'RETRY_DUE':
      return driver.retryDue();
    case 'LIMIT_CLEARED':
      return driver.limitCleared();
    case 'DECIDE':
      return driver.decide(event.decision);
    case 'CANCEL':
      return driver.cancel();
  }
}

function modelFailure(reason: string): ModelFailure {
  if (reason === 'failed' || reason === 'unavailable' || reason === 'timeout') return reason;
  throw new Error(`sheet model: no driver action makes an attempt fail with reason "${reason}"`);
}
