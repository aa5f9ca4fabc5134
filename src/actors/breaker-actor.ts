import { createActor, type Actor } from 'xstate';
import { breakerMachine, type BreakerContext, type BreakerInput, type BreakerState } from '../machines/breaker.js';
import { actorOptions, type Inspector } from './inspector.js';

export type BreakerActor = Actor<typeof breakerMachine>;

/** The actor id of an instrument's breaker, as inspection shows it. */
const breakerId = (instrument: string): string => `breaker:${instrument}`;

/** A new, closed breaker for an instrument; not started (the owner subscribes first). */
export function createBreakerActor(instrument: string, input: BreakerInput, inspect?: Inspector): BreakerActor {
  return createActor(breakerMachine, { input, ...actorOptions(breakerId(instrument), inspect) });
}

/** A breaker brought back in the state and context a checkpoint kept; not started. */
export function restoreBreakerActor(instrument: string, state: BreakerState, context: BreakerContext, inspect?: Inspector): BreakerActor {
  return createActor(breakerMachine, {
    snapshot: breakerMachine.resolveState({ value: state, context }),
    input: { failures: context.failures, cooldownMs: context.baseCooldownMs },
    ...actorOptions(breakerId(instrument), inspect),
  });
}
