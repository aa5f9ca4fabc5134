import { setup } from 'xstate';

export type ConductorMachineEvent =
  /** The inbox was drained; decide what to dispatch. */
  | { type: 'TURN' }
  | { type: 'SHUTDOWN' }
  /** Every musician has ended after a shutdown. */
  | { type: 'DRAINED' };

/**
 * The conductor's own lifecycle. The dispatch decision is its guard: the runtime provides
 * `hasDispatch` (backed by the pure `planDispatch`) and `dispatch` (which applies the plan),
 * so this definition stays free of I/O and can be drawn in the Stately visualizer as is.
 */
export const conductorMachine = setup({
  types: { events: {} as ConductorMachineEvent },
  guards: {
    hasDispatch: () => false,
  },
  actions: {
    dispatch: () => undefined,
  },
}).createMachine({
  id: 'conductor',
  initial: 'conducting',
  states: {
    conducting: {
      on: {
        TURN: { guard: 'hasDispatch', actions: 'dispatch' },
        SHUTDOWN: 'draining',
      },
    },
    draining: {
      on: { DRAINED: 'stopped' },
    },
    stopped: { type: 'final' },
  },
});
