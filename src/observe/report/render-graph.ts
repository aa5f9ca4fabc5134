import { SHEET_STATES } from '../../machines/types.js';
import { clip, esc } from './html.js';
import type { GraphNode, ReportGraph } from './model.js';

const NODE_W = 170;
const NODE_H = 24;
const COL_W = 230;
const ROW_H = 34;
const PAD = 12;
const LABEL_CHARS = 22;

/**
 * The dependency graph as one SVG, in columns by layer. A sheet's box is edged in its
 * state's colour; a collapsed fan-out shows its member count and a bar of their states.
 */
export function renderGraph(graph: ReportGraph): string {
  const rows = Math.max(1, ...layerSizes(graph.nodes));
  const width = PAD * 2 + Math.max(1, graph.layers) * COL_W - (COL_W - NODE_W);
  const height = PAD * 2 + rows * ROW_H - (ROW_H - NODE_H);
  const place = new Map(graph.nodes.map((n) => [n.key, { x: PAD + n.layer * COL_W, y: PAD + n.order * ROW_H }]));
  const edges = graph.edges.map((edge) => {
    const from = place.get(edge.from);
    const to = place.get(edge.to);
    if (from === undefined || to === undefined) return '';
    const x1 = from.x + NODE_W;
    const y1 = from.y + NODE_H / 2;
    const x2 = to.x;
    const y2 = to.y + NODE_H / 2;
    const mid = (x1 + x2) / 2;
    return `<path class="edge" d="M${x1} ${y1}C${mid} ${y1} ${mid} ${y2} ${x2} ${y2}"/>`;
  });
  const nodes = graph.nodes.map((node) => renderNode(node, place.get(node.key)!));
  return [
    `<svg id="graph-svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="dependency graph">`,
    `<g class="edges">${edges.join('')}</g>`,
    ...nodes,
    '</svg>',
  ].join('\n');
}

function layerSizes(nodes: readonly GraphNode[]): number[] {
  const sizes: number[] = [];
  for (const node of nodes) sizes[node.layer] = Math.max(sizes[node.layer] ?? 0, node.order + 1);
  return sizes.filter((n) => n !== undefined);
}

function renderNode(node: GraphNode, at: { x: number; y: number }): string {
  const counts = SHEET_STATES.filter((s) => (node.states[s] ?? 0) > 0).map((s) => `${s} ${node.states[s]}`);
  const translate = `transform="translate(${at.x},${at.y})"`;
  if (node.kind === 'sheet') {
    const state = SHEET_STATES.find((s) => (node.states[s] ?? 0) > 0) ?? 'pending';
    return (
      `<g class="node sheet" data-sheet="${esc(node.label)}" data-state="${state}" ${translate}>` +
      `<title>${esc(`${node.label} — ${state}`)}</title>` +
      `<rect class="box" width="${NODE_W}" height="${NODE_H}" rx="4"/>` +
      `<rect class="st-${state}" width="6" height="${NODE_H}" rx="2"/>` +
      `<text x="12" y="16">${esc(clip(node.label, LABEL_CHARS))}</text></g>`
    );
  }
  const total = node.sheetIds.length;
  let offset = 0;
  const bar = SHEET_STATES.filter((s) => (node.states[s] ?? 0) > 0).map((s) => {
    const w = ((node.states[s] ?? 0) / total) * (NODE_W - 2);
    const rect = `<rect class="st-${s}" x="${(1 + offset).toFixed(1)}" y="${NODE_H - 6}" width="${w.toFixed(1)}" height="5"/>`;
    offset += w;
    return rect;
  });
  const label = `${clip(node.label, LABEL_CHARS - 7)} ×${total}`;
  return (
    `<g class="node group" data-stage="${esc(node.label)}" data-members="${total}" ${translate}>` +
    `<title>${esc(`fan-out ${node.label}: ${total} sheets (${node.label}.1 … ${node.label}.${total})\n${counts.join(', ')}`)}</title>` +
    `<rect class="box" width="${NODE_W}" height="${NODE_H}" rx="4"/>${bar.join('')}` +
    `<text x="8" y="13">${esc(label)}</text></g>`
  );
}
