import type { SheetGraph } from './sheet-graph.js';

/** What the critical path needs of each sheet: when it ended, if it did. */
export interface SheetEnd {
  endedAt?: number;
}

/**
 * The chain of sheets whose ends set the job's end: the sheet that ended last, then the
 * dependency of it that ended last, and so on back to a sheet with no dependency. Ties go
 * to the sheet that comes first in the score. Returns sheet indices, first sheet first.
 */
export function criticalPath(graph: SheetGraph, sheets: readonly SheetEnd[]): number[] {
  const latest = (candidates: Iterable<number>): number | undefined => {
    let best: number | undefined;
    let bestEnd = -Infinity;
    for (const i of candidates) {
      const end = sheets[i]?.endedAt;
      if (end !== undefined && (end > bestEnd || (end === bestEnd && best !== undefined && i < best))) {
        best = i;
        bestEnd = end;
      }
    }
    return best;
  };
  const path: number[] = [];
  let current = latest(sheets.keys());
  while (current !== undefined) {
    path.push(current);
    current = latest(graph.stageDeps[graph.stageOf[current]!]!);
  }
  return path.reverse();
}
