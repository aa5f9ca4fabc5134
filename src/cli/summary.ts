import type { JobResult } from '../runtime/conductor.js';

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

export function textSummary(result: JobResult): string {
  const c = result.counts;
  const lines = [
    `${result.name}: ${result.outcome} in ${(result.durationMs / 1000).toFixed(1)}s — ` +
      `${c.completed} completed, ${c.failed} failed, ${c.skipped} skipped` +
      (c.cancelled > 0 ? `, ${c.cancelled} cancelled` : '') +
      (c.fermata > 0 ? `, ${c.fermata} at a fermata` : ''),
  ];
  for (const s of result.sheets) {
    if (s.state === 'failed' || s.state === 'fermata') {
      lines.push(`  ${s.id}: ${s.state}${s.reason ? ` (${s.reason})` : ''}${s.lastError ? `: ${s.lastError}` : ''}`);
    }
  }
  return lines.join('\n');
}
