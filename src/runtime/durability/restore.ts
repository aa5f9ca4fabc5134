import type { SheetContext } from '../../machines/sheet.js';
import { TERMINAL_STATES, type SheetState } from '../../machines/types.js';
import type { Job, SheetRecord, StageRuntime } from '../model/job.js';
import type { SheetRow } from '../../store/types.js';

/** An active sheet to bring back as a live actor, in the state it resumes in. */
export interface Revival {
  record: SheetRecord;
  state: SheetState;
  context: SheetContext;
}

/**
 * Lays a checkpoint over a freshly built job. Terminal sheets keep their state; sheets
 * whose musician died with the last process (`dispatched`, `running`) return to `ready`
 * with their attempt counts; `retry` and `waiting` keep their deadlines; fermatas stay
 * open; every active sheet starts again from its primary instrument. Sheets the checkpoint
 * does not know (added to the score since) stay pending. Returns the sheets to revive and
 * the stages whose dependencies are all met.
 */
export function restoreJob(job: Job, rows: readonly SheetRow[]): { revive: Revival[]; release: StageRuntime[] } {
  const revive: Revival[] = [];
  for (const row of rows) {
    const record = job.byId.get(row.id);
    if (record === undefined) continue;
    record.dispatches = row.dispatches;
    record.attempts = row.attempts;
    record.lastError = row.lastError;
    record.reason = row.reason;
    record.skippedByDecision = row.skippedByDecision;
    record.costUsd = row.costUsd;
    job.spentUsd += row.costUsd;
    record.firstDispatchAt = row.firstDispatchAt ?? undefined;
    record.endedAt = row.endedAt ?? undefined;
    record.outputFile = row.outputFile ?? undefined;
    record.output = row.output ?? undefined;
    if (TERMINAL_STATES.has(row.state)) {
      record.instrumentIndex = row.instrumentIndex;
      job.recount('pending', row.state);
      record.state = row.state;
      if (record.skippedByDecision) job.decisionSkips++;
    } else if (row.state !== 'pending' && row.context !== null) {
      const state = row.state === 'dispatched' || row.state === 'running' ? 'ready' : row.state;
      revive.push({ record, state, context: { ...row.context, instrumentIndex: 0 } });
    }
  }
  return { revive, release: recountStages(job) };
}

/** Rebuilds every stage's counters from its members' states; returns the stages to release. */
function recountStages(job: Job): StageRuntime[] {
  const satisfied = (r: SheetRecord) => r.state === 'completed' || (r.state === 'skipped' && r.skippedByDecision);
  const unsatisfied = (r: SheetRecord) => TERMINAL_STATES.has(r.state) && !satisfied(r);
  for (const stage of job.stages) {
    stage.satisfied = 0;
    for (let i = stage.first; i < stage.first + stage.size; i++) if (satisfied(job.sheets[i]!)) stage.satisfied++;
  }
  const release: StageRuntime[] = [];
  for (const stage of job.stages) {
    let unmet = 0;
    let doomed = false;
    for (const ref of stage.spec.dependsOn) {
      const target = job.stages[ref.stage]!;
      if (ref.member !== undefined) {
        const member = job.sheets[target.first + ref.member - 1]!;
        if (!satisfied(member)) unmet++;
        if (unsatisfied(member)) doomed = true;
      } else {
        if (target.satisfied < target.size) unmet++;
        for (let i = target.first; i < target.first + target.size; i++) if (unsatisfied(job.sheets[i]!)) doomed = true;
      }
    }
    stage.unmet = unmet;
    stage.doomed = doomed;
    if (unmet === 0 && !doomed) release.push(stage);
  }
  return release;
}
