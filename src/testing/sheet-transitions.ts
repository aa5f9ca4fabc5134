import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import type { SheetEvent } from '../machines/sheet-events.js';
import { sheetMachine, type SheetInput } from '../machines/sheet.js';
import type { SheetState } from '../machines/types.js';

/**
 * One transition of the sheet machine as seen from a state the sheet can be in: root-level
 * transitions (`CANCEL`) count once per state they leave. `guard` names the candidate of a
 * guarded list that was taken (`decided:retry` for a guard with a parameter); unguarded
 * candidates have none.
 */
export interface SheetTransition {
  source: SheetState;
  event: SheetEvent['type'];
  guard?: string;
  target: SheetState;
}

type Snapshot = SnapshotFrom<typeof sheetMachine>;
type TransitionDefinition = ReturnType<typeof sheetMachine.getTransitionData>[number];

/** `source --EVENT[guard]--> target`; with `guards: false`, `source --EVENT--> target`. */
export function transitionKey(transition: SheetTransition, options: { guards: boolean } = { guards: true }): string {
  const guard = options.guards && transition.guard !== undefined ? `[${transition.guard}]` : '';
  return `${transition.source} --${transition.event}${guard}--> ${transition.target}`;
}

/** Every transition the machine definition holds, from every state that is not final. */
export function sheetTransitions(): SheetTransition[] {
  const root = sheetMachine.root;
  const transitions: SheetTransition[] = [];
  for (const [key, node] of Object.entries(root.states)) {
    if (node.type === 'final') continue;
    const source = key as SheetState;
    const types = new Set([...node.transitions.keys(), ...root.transitions.keys()]);
    for (const type of types) {
      const candidates = node.transitions.get(type) ?? root.transitions.get(type) ?? [];
      for (const candidate of candidates) transitions.push(describe(source, type as SheetEvent['type'], candidate));
    }
  }
  return transitions;
}

/** The transition the machine takes from `before` on `event`, or undefined if it takes none. */
export function takenTransition(before: Snapshot, event: SheetEvent): SheetTransition | undefined {
  const [taken] = sheetMachine.getTransitionData(before, event);
  if (taken === undefined) return undefined;
  return describe(before.value as SheetState, event.type, taken);
}

/**
 * The transitions a sequence of events takes from the initial state of a sheet with `input`
 * (events the machine ignores take none). Paths of a test model carry their events: pass
 * `path.steps.slice(1).map((step) => step.event)`, the first step being the initial state.
 */
export function transitionsOf(input: SheetInput, events: Iterable<SheetEvent>): SheetTransition[] {
  let snapshot = initialTransition(sheetMachine, input)[0];
  const taken: SheetTransition[] = [];
  for (const event of events) {
    const step = takenTransition(snapshot, event);
    if (step !== undefined) taken.push(step);
    snapshot = transition(sheetMachine, snapshot, event)[0];
  }
  return taken;
}

function describe(source: SheetState, event: SheetEvent['type'], candidate: TransitionDefinition): SheetTransition {
  const target = (candidate.target?.[0]?.key as SheetState | undefined) ?? source;
  const guard = guardName(candidate.guard);
  return guard === undefined ? { source, event, target } : { source, event, guard, target };
}

function guardName(guard: unknown): string | undefined {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard !== null && 'type' in guard) {
    const { type, params } = guard as { type: string; params?: unknown };
    if (params === undefined) return type;
    return `${type}:${typeof params === 'string' ? params : JSON.stringify(params)}`;
  }
  return typeof guard === 'function' && guard.name !== '' ? guard.name : 'inline';
}
