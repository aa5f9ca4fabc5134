import type { SheetState } from '../../machines/types.js';
import type { Score, StageSpec } from '../../score/types.js';
import type { GraphEdge, GraphNode, ReportGraph } from './model.js';

export interface GraphOptions {
  /** Fan-outs of at most this many members are drawn member by member; larger ones as one node. */
  expandFanOutUpTo: number;
  /** Beyond this many nodes every fan-out collapses, then the first nodes (by layer) are kept. */
  maxGraphNodes: number;
}

/**
 * The score's dependency graph, laid out in layers: a stage's layer is the length of the
 * longest dependency path leading to it, so every edge points to a later column. Within a
 * layer, nodes sit near the mean row of what they depend on, which keeps most edges short
 * and uncrossed without a full crossing minimisation.
 */
export function dependencyGraph(
  score: Score,
  stateOf: (sheetId: string) => SheetState | undefined,
  options: GraphOptions,
): ReportGraph {
  const stages = score.stages;
  const layerOf = stageLayers(stages);
  const total = (threshold: number) => stages.reduce((n, s) => n + (expanded(s, threshold) ? s.fanOut ?? 1 : 1), 0);
  const threshold = total(options.expandFanOutUpTo) > options.maxGraphNodes ? 0 : options.expandFanOutUpTo;

  const nodesOf = new Map<number, GraphNode[]>();
  const all: GraphNode[] = [];
  let collapsedGroups = 0;
  for (const stage of stages) {
    const ids = memberIds(stage);
    const states = (list: readonly string[]) => {
      const counts: Partial<Record<SheetState, number>> = {};
      for (const id of list) {
        const state = stateOf(id) ?? 'pending';
        counts[state] = (counts[state] ?? 0) + 1;
      }
      return counts;
    };
    const layer = layerOf[stage.index]!;
    let nodes: GraphNode[];
    if (stage.fanOut !== undefined && !expanded(stage, threshold)) {
      collapsedGroups++;
      nodes = [{ key: `group:${stage.id}`, kind: 'group', label: stage.id, sheetIds: ids, states: states(ids), layer, order: 0 }];
    } else {
      nodes = ids.map((id) => ({ key: `sheet:${id}`, kind: 'sheet', label: id, sheetIds: [id], states: states([id]), layer, order: 0 }));
    }
    nodesOf.set(stage.index, nodes);
    all.push(...nodes);
  }

  const kept = keepFirst(all, options.maxGraphNodes);
  const keys = new Set(kept.map((n) => n.key));
  const edges = stageEdges(stages, nodesOf).filter((e) => keys.has(e.from) && keys.has(e.to));
  const layers = orderWithinLayers(kept, edges);
  return { nodes: kept, edges, layers, totalNodes: all.length, collapsedGroups };
}

function expanded(stage: StageSpec, threshold: number): boolean {
  return stage.fanOut === undefined || stage.fanOut <= threshold;
}

function memberIds(stage: StageSpec): string[] {
  if (stage.fanOut === undefined) return [stage.id];
  return Array.from({ length: stage.fanOut }, (_, i) => `${stage.id}.${i + 1}`);
}

/** Longest-path layers over the stage DAG (Kahn's order; a stage left in a cycle stays at 0). */
function stageLayers(stages: readonly StageSpec[]): number[] {
  const layer = stages.map(() => 0);
  const indegree = stages.map(() => 0);
  const dependents: number[][] = stages.map(() => []);
  for (const stage of stages) {
    for (const target of new Set(stage.dependsOn.map((ref) => ref.stage))) {
      if (target < 0 || target >= stages.length) continue;
      dependents[target]!.push(stage.index);
      indegree[stage.index]!++;
    }
  }
  const queue = stages.filter((s) => indegree[s.index] === 0).map((s) => s.index);
  for (let head = 0; head < queue.length; head++) {
    const at = queue[head]!;
    for (const next of dependents[at]!) {
      layer[next] = Math.max(layer[next]!, layer[at]! + 1);
      if (--indegree[next]! === 0) queue.push(next);
    }
  }
  return layer;
}

/** Edges between nodes: a dependency on a whole stage links every node of it, on a member only that member's. */
function stageEdges(stages: readonly StageSpec[], nodesOf: ReadonlyMap<number, GraphNode[]>): GraphEdge[] {
  const seen = new Set<string>();
  const edges: GraphEdge[] = [];
  for (const stage of stages) {
    const targets = nodesOf.get(stage.index) ?? [];
    for (const ref of stage.dependsOn) {
      const nodes = nodesOf.get(ref.stage) ?? [];
      const sources = ref.member === undefined ? nodes : [nodes.length === 1 ? nodes[0] : nodes[ref.member - 1]];
      for (const from of sources) {
        if (from === undefined) continue;
        for (const to of targets) {
          const key = `${from.key}\n${to.key}`;
          if (seen.has(key)) continue;
          seen.add(key);
          edges.push({ from: from.key, to: to.key });
        }
      }
    }
  }
  return edges;
}

/** The first `max` nodes by layer, then by score order (a stable sort keeps the latter). */
function keepFirst(nodes: GraphNode[], max: number): GraphNode[] {
  if (nodes.length <= max) return nodes;
  return [...nodes].sort((a, b) => a.layer - b.layer).slice(0, max);
}

/** Sets each node's `order` in its layer (barycentre of its sources); returns the number of layers. */
function orderWithinLayers(nodes: GraphNode[], edges: readonly GraphEdge[]): number {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const sources = new Map<string, string[]>();
  for (const edge of edges) {
    const list = sources.get(edge.to);
    if (list === undefined) sources.set(edge.to, [edge.from]);
    else list.push(edge.from);
  }
  const layers: GraphNode[][] = [];
  for (const node of nodes) (layers[node.layer] ??= []).push(node);
  for (const layer of layers) {
    if (layer === undefined) continue;
    const weight = new Map<GraphNode, number>();
    layer.forEach((node, i) => {
      const from = (sources.get(node.key) ?? []).map((key) => byKey.get(key)?.order).filter((o) => o !== undefined);
      weight.set(node, from.length === 0 ? i : from.reduce((a, b) => a + b, 0) / from.length);
    });
    const sorted = layer.map((node, i) => ({ node, i })).sort((a, b) => weight.get(a.node)! - weight.get(b.node)! || a.i - b.i);
    sorted.forEach(({ node }, order) => (node.order = order));
  }
  return layers.length;
}
