import { describe, expect, it } from 'vitest';
import { createMachine, type AnyStateMachine } from 'xstate';
import { conductorMachine, machineJson, machineMermaid, SHEET_STATES, sheetMachine } from '../../src/index.js';
import { breakerMachine } from '../../src/machines/breaker.js';

interface JsonTransition {
  target?: string[];
  guard?: string | { type: string; params?: unknown };
  actions?: unknown[];
}

interface JsonState {
  type?: string;
  initial?: string;
  states?: Record<string, JsonState>;
  on?: Record<string, JsonTransition[]>;
  always?: JsonTransition[];
  exit?: unknown[];
}

/** Every (source, event, guard, target) the definition holds, root transitions applied to each top-level non-final state. */
function transitionsOf(definition: JsonState): Array<{ from: string; event: string; guard: string; to: string }> {
  const out: Array<{ from: string; event: string; guard: string; to: string }> = [];
  const guard = (g: JsonTransition['guard']): string => (g === undefined ? '' : typeof g === 'string' ? g : `${g.type}(${String(g.params)})`);
  const add = (from: string, event: string, t: JsonTransition): void => {
    for (const to of t.target?.length ? t.target.map((x) => x.split('.').at(-1)!) : [from]) out.push({ from, event, guard: guard(t.guard), to });
  };
  for (const [name, state] of Object.entries(definition.states ?? {})) {
    for (const [event, list] of Object.entries(state.on ?? {})) for (const t of list) add(name, event, t);
    if (state.type === 'final') continue;
    for (const [event, list] of Object.entries(definition.on ?? {})) for (const t of list) if (!state.on?.[event]) add(name, event, t);
  }
  return out;
}

/** The diagram's edges, label split into events and guard. */
function edgesOf(mermaid: string): Array<{ from: string; to: string; events: string[]; guard: string }> {
  return mermaid
    .split('\n')
    .map((line) => /^\s*(\w+) --> (\w+) : ([^[]+?)(?: \[(.+)\])?$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ from: m[1]!, to: m[2]!, events: m[3]!.split(', '), guard: m[4] ?? '' }));
}

function hasNoFunctions(value: unknown): boolean {
  if (typeof value === 'function') return false;
  if (typeof value !== 'object' || value === null) return true;
  return Object.values(value).every(hasNoFunctions);
}

const MACHINES: Record<string, AnyStateMachine> = { sheet: sheetMachine, conductor: conductorMachine, breaker: breakerMachine };

describe('machineJson', () => {
  it('holds all 12 sheet states, as plain JSON', () => {
    const json = machineJson(sheetMachine) as unknown as JsonState & { id: string };
    expect(json.id).toBe('sheet');
    expect(json.initial).toBe('pending');
    expect(Object.keys(json.states!).sort()).toEqual([...SHEET_STATES].sort());
    expect(json.states!.completed!.type).toBe('final');
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(hasNoFunctions(json)).toBe(true);
  });

  it('names guards and actions, inline ones included', () => {
    const sheet = machineJson(sheetMachine) as unknown as JsonState;
    const states = sheet.states!;
    expect(states.running!.on!.FAILED![0]).toEqual({ target: ['#sheet.ready'], guard: 'unavailableWithFallback', actions: ['nextInstrument'] });
    expect(states.fermata!.on!.DECIDE![0]!.guard).toEqual({ type: 'decided', params: 'retry' });
    expect(states.retry!.exit).toEqual(['clearTimers']);
    const breaker = machineJson(breakerMachine) as unknown as JsonState;
    // `PROBE_ENDED` runs an inline `assign`: it keeps its kind rather than becoming null.
    expect(breaker.states!.halfOpen!.on!.PROBE_ENDED![0]!.actions).toEqual([{ type: 'xstate.assign' }]);
  });

  it.each(Object.keys(MACHINES))('is accepted back by createMachine with the same states and transitions (%s)', (name) => {
    const machine = MACHINES[name]!;
    const json = machineJson(machine);
    const rebuilt = createMachine(json as never);
    expect(rebuilt.id).toBe(machine.id);
    expect(machineJson(rebuilt)).toEqual(json);
  });

  it('keeps eventless transitions and custom state ids', () => {
    const machine = createMachine({ id: 'm', initial: 'a', states: { a: { always: { target: 'b' } }, b: { id: 'bee' } } });
    const json = machineJson(machine) as unknown as JsonState;
    expect(json.states!.a!.always).toEqual([{ target: ['#bee'] }]);
    expect(machineJson(createMachine(json as never))).toEqual(json);
  });
});

describe('machineMermaid', () => {
  it.each(Object.keys(MACHINES))('draws every state, the initial one and the final ones (%s)', (name) => {
    const machine = MACHINES[name]!;
    const mermaid = machineMermaid(machine);
    const definition = machineJson(machine) as unknown as JsonState;
    expect(mermaid.startsWith('stateDiagram-v2\n')).toBe(true);
    expect(mermaid).toContain(`  [*] --> ${String(machine.config.initial)}\n`);
    const drawn = new Set(edgesOf(mermaid).flatMap((e) => [e.from, e.to]));
    for (const [state, node] of Object.entries(definition.states!)) {
      expect(drawn).toContain(state);
      if (node.type === 'final') expect(mermaid).toContain(`  ${state} --> [*]\n`);
      else expect(mermaid).not.toContain(`  ${state} --> [*]\n`);
    }
  });

  it.each(Object.keys(MACHINES))('draws every transition with its event and guard, and nothing else (%s)', (name) => {
    const machine = MACHINES[name]!;
    const expected = transitionsOf(machineJson(machine) as unknown as JsonState);
    const edges = edgesOf(machineMermaid(machine));
    for (const t of expected) {
      const edge = edges.find((e) => e.from === t.from && e.to === t.to && e.guard === t.guard && e.events.includes(t.event));
      expect(edge, `${t.from} --${t.event} [${t.guard}]--> ${t.to}`).toBeDefined();
    }
    const drawnCount = edges.reduce((n, e) => n + e.events.length, 0);
    const distinct = new Set(expected.map((t) => `${t.from} ${t.event} ${t.guard} ${t.to}`));
    expect(drawnCount).toBe(distinct.size);
  });

  it('draws cancellation from every state that has not ended', () => {
    const cancels = edgesOf(machineMermaid(sheetMachine)).filter((e) => e.to === 'cancelled' && e.events.includes('CANCEL'));
    expect(cancels.map((e) => e.from).sort()).toEqual(
      ['pending', 'ready', 'dispatched', 'running', 'waiting', 'retry', 'completion', 'fermata'].sort(),
    );
  });

  it('draws nested states as composites, parallel regions, and eventless and delayed transitions', () => {
    const machine = createMachine({
      id: 'n',
      initial: 'a',
      states: {
        a: { initial: 'x', states: { x: { on: { GO: 'y' } }, y: { type: 'final' } }, onDone: 'b', after: { 1000: 'b' } },
        b: { type: 'parallel', states: { r1: { initial: 'p', states: { p: {} } }, r2: { initial: 'q', states: { q: { always: 'q2' }, 'q-2': {}, q2: {} } } } },
      },
    });
    const mermaid = machineMermaid(machine);
    expect(mermaid).toContain('  state a {\n    [*] --> a_x\n');
    expect(mermaid).toContain('    a_x --> a_y : GO\n    a_y --> [*]\n  }');
    expect(mermaid).toContain('    --\n    state "r2" as b_r2 {');
    expect(mermaid).toContain('      state "q-2" as b_r2_q_2\n');
    expect(mermaid).toContain('      b_r2_q --> b_r2_q2 : always\n');
    expect(mermaid).toContain('  a --> b : done, after 1000ms\n');
  });
});
