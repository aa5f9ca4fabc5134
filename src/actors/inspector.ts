import type { InspectionEvent, Observer } from 'xstate';

/** Where XState inspection events of baton's actors go (see `ConductorOptions.inspect`). */
export type Inspector = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

/** The actor options that name an actor and, when somebody inspects, wire the inspector. */
export function actorOptions(id: string, inspect: Inspector | undefined): { id: string; inspect?: Inspector } {
  return inspect === undefined ? { id } : { id, inspect };
}
