import { getInitialSnapshot, transition } from 'xstate';
import { breakerMachine, type BreakerContext, type BreakerEvent, type BreakerInput, type BreakerState } from './breaker.js';

/** A breaker machine's state as plain data: what a checkpoint or a shared store keeps. */
export interface BreakerData {
  readonly value: BreakerState;
  readonly context: BreakerContext;
}

/**
 * The breaker machine's next state for `event`, as a pure function of data: a breaker that
 * several conductors share is stepped with this, between a read and a compare-and-set, so
 * its rules live only in the machine. `current` undefined: a new breaker made from `input`.
 */
export function breakerStep(current: BreakerData | undefined, input: BreakerInput, event: BreakerEvent): BreakerData {
  const snapshot =
    current === undefined ? getInitialSnapshot(breakerMachine, input) : breakerMachine.resolveState({ value: current.value, context: current.context });
  const [next] = transition(breakerMachine, snapshot, event);
  return { value: next.value as BreakerState, context: next.context };
}

/** Whether two breaker states say the same (the context compared field by field). */
export function sameBreaker(a: BreakerData | undefined, b: BreakerData | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.value !== b.value) return false;
  const keys = Object.keys(a.context) as (keyof BreakerContext)[];
  return keys.every((key) => a.context[key] === b.context[key]);
}
