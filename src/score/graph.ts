/**
 * Dependencies between the entries of `sheets:` ("stages"). They stay at stage level — a
 * stage that depends on a 1,000-member fan-out holds one ref, not 1,000 — and so does
 * cycle detection.
 */
import type { ScoreProblem } from './errors.js';
import type { DependencyRef } from './types.js';

export interface StageEntry {
  id: string;
  fanOut?: number;
  /** As written; undefined when the entry has no `depends_on`. */
  dependsOn?: readonly string[];
}

/** Finds what a name in `depends_on` (or a template) refers to. */
export class StageIndex {
  private readonly byId = new Map<string, number>();

  private constructor(private readonly entries: readonly StageEntry[]) {}

  /**
   * Indexes the stages, reporting duplicate ids and ids that collide with a fan-out member
   * (`x` with fan_out 2 owns `x.1` and `x.2`).
   */
  static build(entries: readonly StageEntry[], problems: ScoreProblem[]): StageIndex {
    const index = new StageIndex(entries);
    entries.forEach((entry, i) => {
      const first = index.byId.get(entry.id);
      if (first === undefined) index.byId.set(entry.id, i);
      else problems.push({ path: `sheets[${i}].id`, message: `duplicate id "${entry.id}" (also sheets[${first}])` });
    });
    entries.forEach((entry, i) => {
      const member = index.member(entry.id);
      if (member !== undefined) {
        const owner = entries[member.stage]!;
        problems.push({
          path: `sheets[${i}].id`,
          message: `duplicate id "${entry.id}": it is a member of fan-out "${owner.id}" (sheets[${member.stage}], fan_out ${owner.fanOut})`,
        });
      }
    });
    return index;
  }

  /** A stage id (the whole stage) or a fan-out member id; undefined when it names nothing. */
  resolve(name: string): DependencyRef | undefined {
    const stage = this.byId.get(name);
    if (stage !== undefined) return { stage };
    return this.member(name);
  }

  /** Why `name` resolves to nothing, for a message. */
  explainUnknown(name: string): string {
    const dot = name.lastIndexOf('.');
    if (dot > 0) {
      const stage = this.byId.get(name.slice(0, dot));
      const owner = stage === undefined ? undefined : this.entries[stage];
      if (owner !== undefined) {
        return owner.fanOut === undefined
          ? `unknown sheet "${name}": "${owner.id}" has no fan_out`
          : `unknown sheet "${name}": "${owner.id}" has members 1 to ${owner.fanOut}`;
      }
    }
    return `unknown sheet "${name}"`;
  }

  private member(name: string): DependencyRef | undefined {
    const dot = name.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const stage = this.byId.get(name.slice(0, dot));
    if (stage === undefined) return undefined;
    const fanOut = this.entries[stage]!.fanOut;
    const suffix = name.slice(dot + 1);
    if (fanOut === undefined || !/^[1-9][0-9]*$/.test(suffix)) return undefined;
    const member = Number(suffix);
    return member <= fanOut ? { stage, member } : undefined;
  }
}

/**
 * The dependency refs of every stage. A whole-stage ref absorbs refs to its members and
 * repeats are dropped. With `sequential`, an entry without `depends_on` depends on the
 * one before it; an explicit `depends_on: []` opts out.
 */
export function resolveDependencies(
  entries: readonly StageEntry[],
  index: StageIndex,
  sequential: boolean,
  problems: ScoreProblem[],
): { refs: DependencyRef[][]; unresolved: boolean[] } {
  const unresolved = entries.map(() => false);
  const refs = entries.map((entry, i) => {
    if (entry.dependsOn === undefined) return sequential && i > 0 ? [{ stage: i - 1 }] : [];
    const whole = new Set<number>();
    const members = new Map<number, Set<number>>();
    const out: DependencyRef[] = [];
    entry.dependsOn.forEach((name, j) => {
      const ref = index.resolve(name);
      if (ref === undefined) {
        unresolved[i] = true;
        problems.push({ path: `sheets[${i}].depends_on[${j}]`, message: index.explainUnknown(name) });
        return;
      }
      if (ref.member === undefined) whole.add(ref.stage);
      else {
        let set = members.get(ref.stage);
        if (set === undefined) members.set(ref.stage, (set = new Set()));
        if (set.has(ref.member)) return;
        set.add(ref.member);
      }
      out.push(ref);
    });
    const seenWhole = new Set<number>();
    return out.filter((ref) => {
      if (ref.member !== undefined) return !whole.has(ref.stage);
      if (seenWhole.has(ref.stage)) return false;
      seenWhole.add(ref.stage);
      return true;
    });
  });
  return { refs, unresolved };
}

/**
 * Every cycle closed by a back edge of a depth-first walk, as stage indexes in "depends on"
 * order with the first repeated at the end (`[a, b, c, a]`). Iterative, so deep chains do
 * not overflow the stack.
 */
export function findCycles(refs: readonly (readonly DependencyRef[])[]): number[][] {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const color = new Uint8Array(refs.length);
  const cycles: number[][] = [];
  const path: number[] = [];
  const nextEdge: number[] = [];
  for (let root = 0; root < refs.length; root++) {
    if (color[root] !== WHITE) continue;
    color[root] = GREY;
    path.push(root);
    nextEdge.push(0);
    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top]!;
      const edges = refs[node]!;
      const e = nextEdge[top]!;
      if (e >= edges.length) {
        color[node] = BLACK;
        path.pop();
        nextEdge.pop();
        continue;
      }
      nextEdge[top] = e + 1;
      const target = edges[e]!.stage;
      if (color[target] === WHITE) {
        color[target] = GREY;
        path.push(target);
        nextEdge.push(0);
      } else if (color[target] === GREY) {
        cycles.push([...path.slice(path.lastIndexOf(target)), target]);
      }
    }
  }
  return cycles;
}
