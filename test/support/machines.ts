import { createActor, type Actor, type AnyStateMachine, type EventFrom, type InputFrom, type SnapshotFrom } from 'xstate';

export interface StartedMachine<M extends AnyStateMachine> {
  actor: Actor<M>;
  /** Sends the events in order and returns the snapshot after the last one. */
  send(...events: EventFrom<M>[]): SnapshotFrom<M>;
}

/** A started actor of `machine` with `input`, driven by events one after the other. */
export function startMachine<M extends AnyStateMachine>(machine: M, input: InputFrom<M>): StartedMachine<M> {
  const actor = createActor(machine, { input });
  actor.start();
  const send = (...events: EventFrom<M>[]): SnapshotFrom<M> => {
    for (const event of events) actor.send(event);
    return actor.getSnapshot();
  };
  return { actor, send };
}
