import type { SheetContext } from '../../machines/sheet.js';
import { TERMINAL_STATES, type SheetState } from '../../machines/types.js';
import type { SheetRow } from '../../store/types.js';
import { recountStages } from '../model/dependencies.js';
import type { Job } from '../model/job.js';
import type { SheetRecord } from '../model/sheet-record.js';
import type { StageRuntime } from '../model/stage.js';

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
 * does not know (added to the score since) stay pending. Returns the sheets to revive, the
 * stages whose dependencies are all met, and the ids of checkpointed sheets the score no
 * longer has (a forced resume after a fan-out shrank or a sheet was removed), which are
 * not part of the job any more.
 */
export function restoreJob(job: Job, rows: readonly SheetRow[]): { revive: Revival[]; release: StageRuntime[]; removed: string[] } {
  const revive: Revival[] = [];
  const removed: string[] = [];
  for (const row of rows) {
    const record = job.byId.get(row.id);
    if (record === undefined) {
      removed.push(row.id);
      continue;
    }
    record.restore(row);
    job.spentUsd += row.costUsd;
    if (TERMINAL_STATES.has(row.state)) {
      record.instrumentIndex = row.instrumentIndex;
      job.move(record, row.state);
      if (record.skippedByDecision) job.decisionSkips++;
    } else if (row.state !== 'pending' && row.context !== null) {
      const state = row.state === 'dispatched' || row.state === 'running' ? 'ready' : row.state;
      revive.push({ record, state, context: { ...row.context, instrumentIndex: 0 } });
    }
  }
  return { revive, release: recountStages(job), removed };
}
