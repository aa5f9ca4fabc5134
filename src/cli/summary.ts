import type { JobResult } from '../runtime/conductor.js';
import { batonCommand, decideCommandFor } from './next-command.js';

/** The final `--json` document: one entry per sheet. */
export function jsonSummary(result: JobResult): unknown {
  return {
    job: result.name,
    jobId: result.jobId,
    outcome: result.outcome,
    durationMs: result.durationMs,
    costUsd: result.costUsd,
    counts: result.counts,
    sheets: result.sheets.map((s) => ({
      id: s.id,
      state: s.state,
      attempts: s.attempts,
      rateLimited: s.rateLimited,
      interrupted: s.interrupted,
      durationMs: s.durationMs ?? 0,
      instrument: s.instrument,
      ...(s.model !== undefined ? { model: s.model } : {}),
      ...(s.reason !== undefined ? { reason: s.reason } : {}),
      ...(s.lastError !== undefined ? { error: s.lastError } : {}),
      ...(s.costUsd > 0 ? { costUsd: s.costUsd } : {}),
    })),
  };
}

/** What the text summary needs to name the command that goes on from where the job stopped. */
export interface NextSteps {
  /** The score path as the user typed it. */
  scorePath: string;
  /** The score's job budget, if it has one. */
  budgetUsd?: number;
}

export function textSummary(result: JobResult, next?: NextSteps): string {
  const c = result.counts;
  const lines = [
    `${result.name}: ${result.outcome} in ${(result.durationMs / 1000).toFixed(1)}s — ` +
      `${c.completed} completed, ${c.failed} failed, ${c.skipped} skipped` +
      (c.cancelled > 0 ? `, ${c.cancelled} cancelled` : '') +
      (c.fermata > 0 ? `, ${c.fermata} at a fermata` : ''),
  ];
  for (const s of result.sheets) {
    if (s.state === 'failed' || s.state === 'fermata') {
      lines.push(`  ${s.id}: ${s.state}${s.reason && s.reason !== s.state ? ` (${s.reason})` : ''}${s.lastError ? `: ${s.lastError}` : ''}`);
      if (s.state === 'fermata' && next !== undefined) lines.push(`    decide: ${decideCommandFor(next.scorePath, s.id)}`);
    }
  }
  if (next !== undefined) lines.push(...deadEnd(result, next));
  return lines.join('\n');
}

/** For a job that stopped short of its end (held, paused), how to go on. */
function deadEnd(result: JobResult, next: NextSteps): string[] {
  const resume = batonCommand('resume', next.scorePath);
  if (result.outcome === 'held') return [`then continue the job with ${resume}`];
  if (result.outcome !== 'paused') return [];
  if (result.pauseReasons.includes('budget')) {
    const budget = next.budgetUsd === undefined ? 'its budget' : `${usd(next.budgetUsd)} budget`;
    return [`spent ${usd(result.costUsd)} of ${budget}: raise budget_usd in the score and run ${resume}`];
  }
  return [`paused (${result.pauseReasons.join(', ')}): continue with ${resume}`];
}

/** Dollars to the cent, or to a hundredth of a cent for amounts below one. */
function usd(amount: number): string {
  return `$${amount.toFixed(amount > 0 && amount < 0.01 ? 4 : 2)}`;
}
