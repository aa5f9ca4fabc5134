import { test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { SheetState } from '../../src/index.js';
import { dependencyGraph } from '../../src/observe/report/graph-layout.js';
import { buildScore, type StageDraft } from '../support/build-score.js';
import { dagDraftArb } from '../support/random-dag.js';

const runs = Number(process.env.BATON_PROPERTY_RUNS ?? 200);
const options = { expandFanOutUpTo: 4, maxGraphNodes: 100 };
const nobody = (): SheetState | undefined => undefined;

function graphOf(stages: StageDraft[], states: Record<string, SheetState> = {}, opts = options) {
  return dependencyGraph(buildScore({ stages }), (id) => states[id], opts);
}

describe('dependency graph', () => {
  it('puts each stage one layer after the longest path that leads to it', () => {
    const graph = graphOf([{ id: 'a' }, { id: 'b', deps: ['a'] }, { id: 'c', deps: ['a', 'b'] }, { id: 'd' }]);
    expect(Object.fromEntries(graph.nodes.map((n) => [n.label, n.layer]))).toEqual({ a: 0, b: 1, c: 2, d: 0 });
    expect(graph.layers).toBe(3);
    expect(graph.edges).toEqual([
      { from: 'sheet:a', to: 'sheet:b' },
      { from: 'sheet:a', to: 'sheet:c' },
      { from: 'sheet:b', to: 'sheet:c' },
    ]);
  });

  it('draws a small fan-out member by member, and a dependency on one member from that member only', () => {
    const graph = graphOf([{ id: 'f', fanOut: 3 }, { id: 'one', deps: ['f.2'] }, { id: 'all', deps: ['f'] }]);
    expect(graph.nodes.filter((n) => n.layer === 0).map((n) => n.key)).toEqual(['sheet:f.1', 'sheet:f.2', 'sheet:f.3']);
    expect(graph.edges.filter((e) => e.to === 'sheet:one')).toEqual([{ from: 'sheet:f.2', to: 'sheet:one' }]);
    expect(graph.edges.filter((e) => e.to === 'sheet:all').map((e) => e.from)).toEqual(['sheet:f.1', 'sheet:f.2', 'sheet:f.3']);
    expect(graph.collapsedGroups).toBe(0);
  });

  it('collapses a big fan-out into one node that counts its members by state', () => {
    const states: Record<string, SheetState> = { 'big.1': 'completed', 'big.2': 'completed', 'big.3': 'failed' };
    const graph = graphOf([{ id: 'big', fanOut: 10_000 }, { id: 'after', deps: ['big'] }, { id: 'pick', deps: ['big.7'] }], states);
    const group = graph.nodes.find((n) => n.kind === 'group')!;
    expect(group).toMatchObject({ key: 'group:big', label: 'big', states: { completed: 2, failed: 1, pending: 9997 } });
    expect(group.sheetIds).toHaveLength(10_000);
    expect(graph.nodes).toHaveLength(3);
    expect(graph.edges).toEqual([
      { from: 'group:big', to: 'sheet:after' },
      { from: 'group:big', to: 'sheet:pick' },
    ]);
    expect(graph.collapsedGroups).toBe(1);
  });

  it('collapses every fan-out, then keeps the first nodes by layer, when the graph is too big to draw', () => {
    const stages: StageDraft[] = [{ id: 'f', fanOut: 3 }];
    for (let i = 0; i < 30; i++) stages.push({ id: `s${i}`, deps: [i === 0 ? 'f' : `s${i - 1}`] });
    const collapsed = graphOf(stages, {}, { expandFanOutUpTo: 4, maxGraphNodes: 31 });
    expect(collapsed.nodes).toHaveLength(31);
    expect(collapsed.collapsedGroups).toBe(1);
    const capped = graphOf(stages, {}, { expandFanOutUpTo: 4, maxGraphNodes: 10 });
    expect(capped.nodes.map((n) => n.layer)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(capped.totalNodes).toBe(31);
    expect(capped.edges.every((e) => capped.nodes.some((n) => n.key === e.from) && capped.nodes.some((n) => n.key === e.to))).toBe(true);
  });

  test.prop([dagDraftArb({ maxStages: 12 })], { numRuns: runs })('every edge goes to a later layer, no two nodes share a place, every sheet is drawn once', (draft) => {
    // Fan-outs of 3 collapse, of 1 or 2 do not: both kinds are exercised.
    const graph = dependencyGraph(buildScore(draft), nobody, { expandFanOutUpTo: 2, maxGraphNodes: 100 });
    const byKey = new Map(graph.nodes.map((n) => [n.key, n]));
    for (const edge of graph.edges) expect(byKey.get(edge.to)!.layer).toBeGreaterThan(byKey.get(edge.from)!.layer);
    const places = graph.nodes.map((n) => `${n.layer}:${n.order}`);
    expect(new Set(places).size).toBe(places.length);
    const sheets = graph.nodes.flatMap((n) => n.sheetIds);
    expect(new Set(sheets).size).toBe(sheets.length);
    expect(sheets.length).toBe(buildScore(draft).sheetCount);
  });
});
