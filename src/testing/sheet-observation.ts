import type { SnapshotFrom } from 'xstate';
import type { SheetContext, sheetMachine } from '../machines/sheet.js';
import type { FailureReason, SheetState } from '../machines/types.js';
import { MODEL_TIME } from './sheet-model-settings.js';

/** What a runtime shows of the sheet under test, compared with the model after every step. */
export interface SheetObservation {
  /** The state the runtime reports (for baton: `conductor.status(jobId)`). */
  state: SheetState;
  /** Dispatches so far, as the runtime reports them (`SheetStatus.attempts + rateLimited`). */
  dispatches?: number;
  /** Dispatches that ended rate-limited (`SheetStatus.rateLimited`). */
  rateLimited?: number;
  /** Position in the fallback chain of the instrument the runtime shows. */
  instrumentIndex?: number;
  reason?: FailureReason | null;
  /** The sheet's live actor, once it has one: its state, context, and the runtime's clock. */
  actor?: { state: SheetState; context: SheetContext; now: number };
}

/** The runtime does not match the model at some step. */
export class SheetModelMismatchError extends Error {
  constructor(readonly differences: string[]) {
    super(`the runtime differs from the sheet model: ${differences.join('; ')}`);
    this.name = 'SheetModelMismatchError';
  }
}

type Snapshot = SnapshotFrom<typeof sheetMachine>;

/** Fields of the actor's context that must equal the model's exactly. */
const EXACT: ReadonlyArray<keyof SheetContext> = [
  'attempts',
  'completionUsed',
  'healed',
  'instrumentIndex',
  'mode',
  'dispatches',
  'rateLimited',
  'reason',
  'skipCause',
];

/**
 * Throws a `SheetModelMismatchError` listing every difference between what the runtime shows
 * and the model's snapshot. Deadlines are compared as delays: the model's events happen at
 * `MODEL_TIME`, the runtime's at its own clock's now.
 */
export function compareWithModel(observed: SheetObservation, model: Snapshot, options: { actorRequired: boolean }): void {
  const expected = model.context;
  const differences: string[] = [];
  const check = (what: string, actual: unknown, wanted: unknown): void => {
    if (actual !== wanted) differences.push(`${what} is ${JSON.stringify(actual)}, the model says ${JSON.stringify(wanted)}`);
  };
  check('state', observed.state, model.value);
  if (observed.dispatches !== undefined) check('dispatches', observed.dispatches, expected.dispatches);
  if (observed.rateLimited !== undefined) check('rate-limited runs', observed.rateLimited, expected.rateLimited);
  if (observed.instrumentIndex !== undefined) check('instrument index', observed.instrumentIndex, expected.instrumentIndex);
  if (observed.reason !== undefined) check('reason', observed.reason, expected.reason);
  const actor = observed.actor;
  if (actor === undefined) {
    if (options.actorRequired) differences.push('the sheet has no actor snapshot');
  } else {
    check('actor state', actor.state, model.value);
    for (const key of EXACT) check(`actor ${key}`, actor.context[key], expected[key]);
    if (model.value === 'retry') check('retry delay', delay(actor.context.retryAt, actor.now), delay(expected.retryAt, MODEL_TIME));
    if (model.value === 'waiting') check('rate-limit wait', delay(actor.context.waitUntil, actor.now), delay(expected.waitUntil, MODEL_TIME));
  }
  if (differences.length > 0) throw new SheetModelMismatchError(differences);
}

function delay(deadline: number | null, now: number): number | null {
  return deadline === null ? null : deadline - now;
}
