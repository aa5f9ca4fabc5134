import type { ScoreProblem } from './errors.js';

/**
 * Most sheets a score may expand to unless it sets `max_sheets`. Every sheet is a live
 * record and a checkpoint row from the start, so memory and the first checkpoint grow with
 * the expansion before anything runs; docs/score.md says how this figure was measured.
 */
export const DEFAULT_MAX_SHEETS = 500_000;

interface Entry {
  fan_out?: number | undefined;
}

/**
 * Refuses a score whose `sheets:` expand to more than `limit` sheets, counted from the
 * fan-outs without expanding them. The problem is put on the largest fan-out (the one to
 * shrink), or on `sheets` when no entry fans out.
 */
export function checkSheetLimit(entries: readonly Entry[], limit: number | undefined, problems: ScoreProblem[]): void {
  const max = limit ?? DEFAULT_MAX_SHEETS;
  let total = 0;
  let largest = -1;
  entries.forEach((entry, i) => {
    const members = entry.fan_out ?? 1;
    total += members;
    if (entry.fan_out !== undefined && (largest < 0 || members > (entries[largest]!.fan_out ?? 1))) largest = i;
  });
  if (total <= max) return;
  const over = `the score expands to ${count(total)} sheets, over the limit of ${count(max)} (max_sheets${limit === undefined ? ', default' : ''})`;
  const advice = 'for a stream of items, use dispatchBatches (docs/batches.md); or raise max_sheets';
  if (largest < 0) {
    problems.push({ path: 'sheets', message: `${over}; ${advice}` });
    return;
  }
  problems.push({
    path: `sheets[${largest}].fan_out`,
    message: `fan_out ${count(entries[largest]!.fan_out!)}: ${over}; ${advice}`,
  });
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
