import { abortedMessage } from '../abort-reason.js';
import { SignalAbortSource, type AbortSource } from '../attempt-abort.js';
import {
  RUN_WITH_ABORT_SOURCE,
  type AbortSourceInstrument,
  type AttemptHooks,
  type AttemptOutcome,
  type AttemptRequest,
  type SheetFunction,
  type SheetFunctionContext,
} from './instrument.js';

export interface FunctionInstrumentOptions {
  /** The instrument's name in the score. */
  name: string;
  /** Called once per attempt with the sheet's context; returns (or resolves to) `{ ok, ... }`. */
  fn: SheetFunction;
}

/**
 * An instrument that runs each attempt as an in-process call of `fn`. A throw, a rejection or
 * a malformed result is a failed attempt. When the signal aborts, the attempt resolves at once
 * as a failure, whether or not `fn` honours the signal.
 */
export function createFunctionInstrument(options: FunctionInstrumentOptions): AbortSourceInstrument {
  const { name, fn } = options;
  return {
    name,
    kind: 'function',
    run: (request, signal, hooks) => runCall(fn, request, new SignalAbortSource(signal), hooks),
    [RUN_WITH_ABORT_SOURCE]: (request, abort, hooks) => runCall(fn, request, abort, hooks),
  };
}

// Kept free of `async`: a function that returns synchronously costs one resolved promise.
function runCall(
  fn: SheetFunction,
  request: AttemptRequest,
  abort: AbortSource,
  hooks: AttemptHooks,
): Promise<AttemptOutcome> {
  if (abort.aborted) return Promise.resolve(abortedOutcome(abort.reason));
  const context: SheetFunctionContext = {
    sheet: {
      id: request.sheetId,
      attempt: request.attempt,
      run: request.run,
      mode: request.mode,
      fan: request.fan,
      failedValidations: request.failedValidations ?? [],
    },
    workspace: request.workspace,
    model: request.model,
    vars: request.vars,
    deps: request.deps,
    prompt: request.prompt,
    // Built on first read: most functions never look at it.
    get signal() {
      return abort.signal;
    },
    context: request.context ?? [],
  };
  let returned: unknown;
  try {
    hooks.onStarted();
    returned = fn(context);
  } catch (err) {
    return Promise.resolve(thrownOutcome(err));
  }
  if (!isThenable(returned)) {
    return Promise.resolve(abort.aborted ? abortedOutcome(abort.reason) : interpretResult(returned));
  }
  const thenable = returned;
  return new Promise<AttemptOutcome>((resolve) => {
    const call = new PendingCall(resolve, abort);
    try {
      thenable.then(
        (value) => call.settle(interpretResult(value)),
        (err: unknown) => call.settle(thrownOutcome(err)),
      );
    } catch (err) {
      call.settle(thrownOutcome(err));
    }
  });
}

/** One asynchronous call waiting for either its result or an abort, whichever comes first. */
class PendingCall {
  private settled = false;
  private readonly unlisten: () => void;

  constructor(
    private readonly resolve: (outcome: AttemptOutcome) => void,
    abort: AbortSource,
  ) {
    this.unlisten = abort.listen(() => this.settle(abortedOutcome(abort.reason)));
  }

  settle(outcome: AttemptOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.unlisten();
    this.resolve(outcome);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Turns what the function returned into an outcome, checking the `{ ok, ... }` shape. */
function interpretResult(value: unknown): AttemptOutcome {
  if (typeof value !== 'object' || value === null || typeof (value as { ok?: unknown }).ok !== 'boolean') {
    return failure(`returned ${describe(value)}; expected { ok: boolean }`);
  }
  const result = value as Record<string, unknown>;
  const outcome: AttemptOutcome = result.ok === true
    ? { status: 'success' }
    : { status: 'failure', error: nonEmptyString(result.error) ?? 'returned ok: false' };
  if (result.output !== undefined) outcome.output = result.output;

  const cost = result.cost_usd;
  if (cost !== undefined && cost !== null) {
    if (!isNonNegativeNumber(cost)) {
      return { ...outcome, status: 'failure', error: `returned cost_usd ${describe(cost)}; expected a finite number >= 0` };
    }
    outcome.costUsd = cost;
  }
  const wait = result.rate_limited_s;
  if (wait !== undefined && wait !== null) {
    if (!isNonNegativeNumber(wait)) {
      return { ...outcome, status: 'failure', error: `returned rate_limited_s ${describe(wait)}; expected a finite number >= 0` };
    }
    outcome.rateLimitedS = wait;
  }
  return outcome;
}

function thrownOutcome(err: unknown): AttemptOutcome {
  if (err instanceof Error) return failure(err.message !== '' ? err.message : err.name);
  if (typeof err === 'string' && err !== '') return failure(err);
  return failure(`threw ${describe(err)}`);
}

function abortedOutcome(reason: unknown): AttemptOutcome {
  return failure(abortedMessage(reason));
}

function failure(error: string): AttemptOutcome {
  return { status: 'failure', error };
}

function isNonNegativeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** A short human description of an unexpected value, for error messages. */
function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const json = JSON.stringify(value);
    return json.length > 60 ? `${json.slice(0, 57)}…"` : json;
  }
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const ok = (value as { ok?: unknown }).ok;
    return ok === undefined ? 'an object without "ok"' : `an object with ok: ${describe(ok)}`;
  }
  return String(value);
}
