import { createTestModel, type TestModel, type TestParam, type TestPath } from 'xstate/graph';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import type { SheetEvent } from '../machines/sheet-events.js';
import { sheetMachine, type SheetInput } from '../machines/sheet.js';
import { compareWithModel } from './sheet-observation.js';
import { performEvent, type SheetModelDriver } from './sheet-model-driver.js';
import {
  modelEvents,
  resolveSettings,
  sheetInputOf,
  type ResolvedSheetModelSettings,
  type SheetModelSettings,
} from './sheet-model-settings.js';

export type SheetSnapshot = SnapshotFrom<typeof sheetMachine>;

export interface SheetTestModel {
  /** An XState test model over the real `sheetMachine`: use `getShortestPaths()`, `getSimplePaths()`… */
  readonly model: TestModel<SheetSnapshot, SheetEvent, unknown>;
  readonly settings: ResolvedSheetModelSettings;
  /** The input the model's sheet starts from (what the runtime derives from the same settings). */
  readonly input: SheetInput;
  /** The model's finite event set, each event with its concrete payload. */
  readonly events: readonly SheetEvent[];
  /**
   * What `path.test(...)` needs to run a path against a runtime: each model event is
   * performed through `driver`, then the runtime's state is compared with the model's.
   * Create a fresh driver for every path.
   */
  params(driver: SheetModelDriver): TestParam<SheetSnapshot, SheetEvent>;
  /** The path a given sequence of events takes from the initial state: a scenario of your own. */
  pathFromEvents(events: SheetEvent[]): TestPath<SheetSnapshot, SheetEvent>;
}

/**
 * A test model of one sheet with the given settings. Its states are the machine's states
 * together with the counters that change what happens next (attempts, completion attempts,
 * healing, fallback position, mode); clocks and dispatch counts are left out, so the graph is
 * finite. A node also remembers the transition that reached it, so shortest paths take every
 * transition, not only reach every state.
 */
export function createSheetTestModel(settings: SheetModelSettings = {}): SheetTestModel {
  const resolved = resolveSettings(settings);
  const input = sheetInputOf(resolved);
  const events = modelEvents(resolved);
  const allowed = new Set(events.map((event) => JSON.stringify(event)));
  const model = createTestModel(sheetMachine, {
    input,
    events,
    // The machine offers every event type a state handles; only ours, and only those that move it.
    filterEvents: (snapshot, event) => allowed.has(JSON.stringify(event)) && snapshot.can(event),
    serializeState: (snapshot, event, previous) => {
      const node = nodeKey(snapshot);
      if (event === undefined || previous === undefined) return node;
      return `${node} via ${JSON.stringify(event)} from ${nodeKey(previous)}`;
    },
    stopWhen: (snapshot) => snapshot.status === 'done',
  });
  return {
    model,
    settings: resolved,
    input,
    events,
    pathFromEvents: (path) => {
      const initial = initialTransition(sheetMachine, input)[0];
      let snapshot = initial;
      path.forEach((event, i) => {
        if (!snapshot.can(event)) throw new Error(`sheet model: event ${i + 1} (${event.type}) does nothing in state ${String(snapshot.value)}`);
        snapshot = transition(sheetMachine, snapshot, event)[0];
      });
      // `getPathsFromEvents` builds its start state without the model's input: give it ours.
      const [found] = model.getPathsFromEvents(path, { fromState: initial });
      if (found === undefined) throw new Error('sheet model: those events lead to no path');
      return found;
    },
    params: (driver) => {
      // The model's state is replayed from the path's events, not read from its steps: a node
      // leaves out clocks and dispatch counts, so the snapshot a step carries may come from
      // another route to the same node.
      let expected = initialTransition(sheetMachine, input)[0];
      // Pending sheets are only records in the runtime; from the first active state on, the
      // sheet has an actor whose snapshot is compared too (a sheet ending straight out of
      // `pending` never gets one).
      let active = false;
      const perform = async (step: { event: SheetEvent }): Promise<void> => {
        expected = transition(sheetMachine, expected, step.event)[0];
        await performEvent(driver, step.event);
      };
      return {
        events: Object.fromEntries(events.map((event) => [event.type, perform])),
        states: {
          '*': async (node: SheetSnapshot) => {
            if (nodeKey(node) !== nodeKey(expected)) {
              throw new Error(`sheet model: the path reaches ${nodeKey(node)} but its events lead to ${nodeKey(expected)}`);
            }
            if (expected.status === 'active' && expected.value !== 'pending') active = true;
            compareWithModel(await driver.state(), expected, { actorRequired: active });
          },
        },
      };
    },
  };
}

/** The part of a snapshot that decides what happens next. */
function nodeKey(snapshot: SheetSnapshot): string {
  const c = snapshot.context;
  return `${String(snapshot.value)}[a${c.attempts} c${c.completionUsed} h${c.healed ? 1 : 0} i${c.instrumentIndex} ${c.mode}]`;
}
