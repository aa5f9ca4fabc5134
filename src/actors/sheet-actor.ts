import { createActor, type Actor } from 'xstate';
import { sheetMachine, type SheetContext, type SheetInput } from '../machines/sheet.js';
import type { SheetState } from '../machines/types.js';
import { actorOptions, type Inspector } from './inspector.js';

export type SheetActor = Actor<typeof sheetMachine>;

/** Starts the actor of a sheet whose dependencies are met; it begins in `pending`. Its id is `<job id>/<sheet id>`. */
export function startSheetActor(id: string, input: SheetInput, inspect?: Inspector): SheetActor {
  const actor = createActor(sheetMachine, { input, ...actorOptions(id, inspect) });
  actor.start();
  return actor;
}

/** Starts a sheet's actor again in a state and context a checkpoint kept. */
export function resumeSheetActor(id: string, state: SheetState, context: SheetContext, inspect?: Inspector): SheetActor {
  const actor = createActor(sheetMachine, {
    // A context checkpointed before rate-limited runs were counted lacks `rateLimited`.
    snapshot: sheetMachine.resolveState({ value: state, context: { ...context, rateLimited: (context as Partial<SheetContext>).rateLimited ?? 0 } }),
    // Ignored when a snapshot is given, but the machine's type asks for it.
    input: context,
    ...actorOptions(id, inspect),
  });
  actor.start();
  return actor;
}
