import { createActor, type Actor } from 'xstate';
import { conductorMachine } from '../machines/conductor.js';
import { actorOptions, type Inspector } from './inspector.js';

/** What the running conductor provides to its machine: the dispatch decision and its application. */
export interface ConductorDecision {
  /** Takes the decision; true when it dispatches something (the machine's guard). */
  decide(): boolean;
  /** Applies the decision just taken (the machine's action). */
  apply(): void;
}

export type ConductorActor = Actor<typeof conductorMachine>;

/** Starts the conductor's own actor (id `conductor`), its guard and action backed by `decision`. */
export function startConductorActor(decision: ConductorDecision, inspect?: Inspector): ConductorActor {
  const logic = conductorMachine.provide({
    guards: { hasDispatch: () => decision.decide() },
    actions: { dispatch: () => decision.apply() },
  });
  const actor = createActor(logic, actorOptions('conductor', inspect));
  actor.start();
  return actor;
}
