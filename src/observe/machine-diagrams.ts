import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import type { JsonValue } from './inspection-record.js';

type JsonObject = { [key: string]: JsonValue };

/**
 * The machine as a JSON config, the form the Stately tools read (the inspector receives a
 * machine's config) and `createMachine` accepts back: states, `initial`, `type` where it
 * is not implied, transitions with absolute `#id` targets, guards and actions by name
 * (`{ "type", "params" }` when they have params; inline functions by their name or kind,
 * such as `xstate.assign`). Implementations and the context factory are left out:
 * they are code. Built from the resolved definition, so spreads and shared transition
 * lists in the source come out written in full.
 */
export function machineJson(machine: AnyStateMachine): JsonValue {
  return { id: machine.root.id, ...stateJson(machine.root) };
}

function stateJson(node: AnyStateNode): JsonObject {
  const json: JsonObject = {};
  const implied = node.parent === undefined ? node.id : `${node.parent.id}.${node.key}`;
  if (node.id !== implied) json.id = node.id;
  if (node.type === 'parallel' || node.type === 'final' || node.type === 'history') json.type = node.type;
  if (node.type === 'history' && node.history) json.history = node.history;
  if (node.type === 'compound' && node.initial.target[0] !== undefined) json.initial = node.initial.target[0].key;
  if (node.description !== undefined) json.description = node.description;
  if (node.tags.length > 0) json.tags = [...node.tags];
  if (node.entry.length > 0) json.entry = node.entry.map(namedJson);
  if (node.exit.length > 0) json.exit = node.exit.map(namedJson);
  if (node.invoke.length > 0) json.invoke = node.invoke.map((i) => ({ id: i.id, src: typeof i.src === 'string' ? i.src : i.id }));
  if (node.always?.length) json.always = node.always.map(transitionJson);
  const on = Object.entries(node.on);
  if (on.length > 0) json.on = Object.fromEntries(on.map(([event, list]) => [event, list.map(transitionJson)]));
  const children = Object.entries(node.states);
  if (children.length > 0) json.states = Object.fromEntries(children.map(([key, child]) => [key, stateJson(child)]));
  return json;
}

function transitionJson(transition: AnyTransitionDefinition): JsonObject {
  const json: JsonObject = {};
  if (transition.target?.length) json.target = transition.target.map((t) => `#${t.id}`);
  if (transition.guard !== undefined) json.guard = namedJson(transition.guard);
  if (transition.actions.length > 0) json.actions = transition.actions.map(namedJson);
  if (transition.reenter) json.reenter = true;
  if (transition.description !== undefined) json.description = transition.description;
  return json;
}

/** A guard or an action: its name, `{ type, params }`, or for an inline function its name or kind. */
function namedJson(item: unknown): JsonValue {
  if (typeof item === 'string') return item;
  if (typeof item === 'function') {
    // XState's built-in action creators carry their kind in `type` (`xstate.assign`, …).
    const type = (item as { type?: unknown }).type;
    return { type: typeof type === 'string' ? type : item.name || 'anonymous' };
  }
  return JSON.parse(JSON.stringify(item ?? null, (_key, value: unknown) => (typeof value === 'function' ? undefined : value))) as JsonValue;
}

/**
 * A Mermaid `stateDiagram-v2` of the machine: every state (nested states as composites,
 * parallel regions split by `--`), the initial and final states, and every transition
 * labelled with its events and guard. Transitions of the machine itself (the root) are
 * drawn from each top-level state they apply to.
 */
export function machineMermaid(machine: AnyStateMachine): string {
  const ids = new Map<AnyStateNode, string>();
  collectIds(machine.root, ids, '');
  const lines = ['stateDiagram-v2'];
  drawChildren(machine.root, ids, lines, '  ');
  return `${lines.join('\n')}\n`;
}

/** Mermaid ids: the path below the root, joined by `_`, with anything else made `_` too. */
function collectIds(node: AnyStateNode, ids: Map<AnyStateNode, string>, prefix: string): void {
  for (const child of Object.values(node.states)) {
    const id = `${prefix}${child.key}`.replace(/[^A-Za-z0-9_]/g, '_');
    ids.set(child, id);
    collectIds(child, ids, `${id}_`);
  }
}

function drawChildren(node: AnyStateNode, ids: Map<AnyStateNode, string>, lines: string[], indent: string): void {
  const children = Object.values(node.states);
  if (node.type === 'compound') {
    for (const target of node.initial.target) lines.push(`${indent}[*] --> ${idOf(ids, target)}`);
  }
  children.forEach((child, index) => {
    const id = idOf(ids, child);
    if (node.type === 'parallel' && index > 0) lines.push(`${indent}--`);
    if (Object.keys(child.states).length > 0) {
      lines.push(`${indent}state ${labelled(child.key, id)} {`);
      drawChildren(child, ids, lines, `${indent}  `);
      lines.push(`${indent}}`);
    } else if (id !== child.key) {
      lines.push(`${indent}state ${labelled(child.key, id)}`);
    }
  });
  // The root is not drawn, so its transitions start from each state they apply to.
  const inherited = node.parent === undefined ? transitionsOf(node) : [];
  for (const child of children) {
    const own = transitionsOf(child);
    const fromRoot = child.type === 'final' ? [] : inherited.filter((t) => !handlesAlways(own, t.eventType));
    for (const line of edges(child, [...own, ...fromRoot], ids)) lines.push(`${indent}${line}`);
  }
  for (const child of children) if (child.type === 'final') lines.push(`${indent}${idOf(ids, child)} --> [*]`);
}

function labelled(key: string, id: string): string {
  return key === id ? id : `"${key.replace(/"/g, "'")}" as ${id}`;
}

function transitionsOf(node: AnyStateNode): AnyTransitionDefinition[] {
  return [...(node.always ?? []), ...Object.values(node.on).flat()];
}

/** The state handles `eventType` itself with an unguarded transition, so the root's never applies. */
function handlesAlways(own: AnyTransitionDefinition[], eventType: string): boolean {
  return own.some((t) => t.eventType === eventType && t.guard === undefined);
}

/** One line per (target, guard): transitions that differ only in their event share a line. */
function edges(source: AnyStateNode, transitions: AnyTransitionDefinition[], ids: Map<AnyStateNode, string>): string[] {
  const from = idOf(ids, source);
  const groups = new Map<string, { to: string; guard: string; events: string[] }>();
  for (const transition of transitions) {
    const targets = transition.target?.length ? transition.target.map((t) => idOf(ids, t)) : [from];
    const guard = guardLabel(transition.guard);
    const event = eventLabel(transition.eventType);
    for (const to of targets) {
      const key = `${to}\u0000${guard}`;
      const group = groups.get(key) ?? { to, guard, events: [] };
      if (!group.events.includes(event)) group.events.push(event);
      groups.set(key, group);
    }
  }
  return [...groups.values()].map(({ to, guard, events }) => `${from} --> ${to} : ${events.join(', ')}${guard ? ` [${guard}]` : ''}`);
}

function idOf(ids: Map<AnyStateNode, string>, node: AnyStateNode): string {
  const id = ids.get(node);
  if (id === undefined) throw new Error(`machineMermaid: state "${node.id}" is not part of the machine`);
  return id;
}

/** A guard by name, with its params when it has some: `decided(retry)`. */
function guardLabel(guard: AnyTransitionDefinition['guard']): string {
  if (guard === undefined) return '';
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name || 'inline guard';
  if (guard.params === undefined) return guard.type;
  const params = typeof guard.params === 'string' ? guard.params : JSON.stringify(guard.params);
  return `${guard.type}(${params})`;
}

/** Event names as written in the machine; XState's generated ones are made readable. */
function eventLabel(eventType: string): string {
  if (eventType === '') return 'always';
  const delayed = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (delayed) return `after ${delayed[1]}ms`;
  if (eventType.startsWith('xstate.done.state.')) return 'done';
  const actor = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  if (actor) return `${actor[1]}: ${actor[2]}`;
  return eventType;
}
