import type { JobOutcome } from '../machines/types.js';
import type { SimulationResult } from './simulate.js';
import type { Spread } from './statistics.js';

/**
 * A simulation result as a table for people. Everything printed comes from the result's
 * own rounded numbers with fixed formats, so the same result prints the same bytes.
 */
export function formatSimulation(result: SimulationResult): string {
  const lines: string[] = [];
  const runs = `${result.runs} run${result.runs === 1 ? '' : 's'}`;
  lines.push(`${result.score}: ${result.sheetCount} sheets, ${runs}, seed ${result.seed}, concurrency ${result.concurrency}`);
  lines.push('');
  const rows: string[][] = [
    ['', 'median', 'p90', 'mean', 'min', 'max'],
    row('makespan', result.makespanMs, formatDuration),
    row('attempts', result.attempts, formatCount),
    row('cost', result.costUsd, formatUsd),
    row('rate-limited', result.rateLimitedMs, formatDuration),
  ];
  lines.push(...table(rows, [false, true, true, true, true, true]));
  lines.push('');
  lines.push(`outcomes: ${formatOutcomes(result.outcomes)}`);
  lines.push(`time rate-limited over all runs: ${formatDuration(result.rateLimitedMs.total)}`);
  lines.push('');
  const path = result.criticalPath;
  lines.push(`critical path of the median run (run ${path.run}, makespan ${formatDuration(path.makespanMs)}):`);
  const steps = path.sheets.map((step) => [
    step.id,
    step.model === undefined ? step.instrument : `${step.instrument}/${step.model}`,
    step.startedAtMs === undefined ? '-' : formatDuration(step.startedAtMs),
    formatDuration(step.endedAtMs),
    String(step.attempts),
    step.state,
  ]);
  const header = ['sheet', 'instrument', 'start', 'end', 'attempts', 'state'];
  lines.push(...table([header, ...steps], [false, false, true, true, true, false]).map((line) => `  ${line}`));
  return `${lines.join('\n')}\n`;
}

function row(label: string, spread: Spread, format: (value: number) => string): string[] {
  return [label, ...[spread.median, spread.p90, spread.mean, spread.min, spread.max].map(format)];
}

/** Columns padded to their widest cell; `right` says which are right-aligned. */
function table(rows: readonly string[][], right: readonly boolean[]): string[] {
  const widths = right.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (right[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

const OUTCOME_WORDS: Record<JobOutcome, string> = {
  completed: 'completed',
  failed: 'failed',
  paused: 'paused (budget spent)',
  held: 'held at a fermata',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
};

function formatOutcomes(outcomes: SimulationResult['outcomes']): string {
  return Object.entries(outcomes)
    .map(([outcome, n]) => `${n} ${OUTCOME_WORDS[outcome as JobOutcome]}`)
    .join(', ');
}

/** `850ms`, `12.3s`, `4m 05.2s`, `2h 03m 10s`. */
function formatDuration(ms: number): string {
  const whole = Math.round(ms);
  if (whole === 0) return '0s';
  if (whole < 1000) return `${whole}ms`;
  const tenths = Math.round(whole / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  if (tenths < 36_000) {
    const minutes = Math.floor(tenths / 600);
    return `${minutes}m ${((tenths - minutes * 600) / 10).toFixed(1).padStart(4, '0')}s`;
  }
  const seconds = Math.round(whole / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return `${hours}h ${String(minutes).padStart(2, '0')}m ${String(seconds % 60).padStart(2, '0')}s`;
}

function formatCount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

function formatUsd(usd: number): string {
  return `$${usd.toFixed(4)}`;
}
