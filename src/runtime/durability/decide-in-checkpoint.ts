import { resumeSheetActor } from '../../actors/sheet-actor.js';
import { TERMINAL_STATES, type FermataDecision, type SheetState } from '../../machines/types.js';
import type { CheckpointStore, SheetRow } from '../../store/types.js';
import { CheckpointEmptyError, NotInFermataError, UnknownSheetError } from '../errors.js';
import { sheetEvent } from './checkpoint.js';
import { lockOwner } from './checkpointed-job.js';

/**
 * Resolves a fermata in a checkpoint while no conductor runs the job: the sheet machine
 * itself takes the decision from the stored state, and the result is written back. The
 * next `restore` (or `baton resume`) acts on it: a completed or decision-skipped sheet
 * releases its dependents, a failed one takes them down, a retried one runs again.
 */
export function decideInCheckpoint(
  store: CheckpointStore,
  sheetId: string,
  decision: FermataDecision,
  now: number,
): { from: SheetState; to: SheetState } {
  const job = store.loadJob();
  if (job === undefined) throw new CheckpointEmptyError(store.location);
  store.acquireLock(lockOwner());
  try {
    const row = store.loadSheets().find((sheet) => sheet.id === sheetId);
    if (row === undefined) throw new UnknownSheetError(job.jobId, sheetId);
    if (row.state !== 'fermata' || row.context === null) throw new NotInFermataError(sheetId, row.state);
    const actor = resumeSheetActor(`${job.jobId}/${sheetId}`, 'fermata', row.context);
    actor.send({ type: 'DECIDE', decision });
    const snapshot = actor.getSnapshot();
    const to = snapshot.value as SheetState;
    const context = snapshot.context;
    const terminal = TERMINAL_STATES.has(to);
    const decided: SheetRow = {
      ...row,
      state: to,
      attempts: context.attempts,
      rateLimited: context.rateLimited,
      lastError: context.lastError,
      reason: context.reason,
      skippedByDecision: context.skipCause === 'decision',
      endedAt: terminal ? now : null,
      context: terminal ? null : context,
      updatedAt: now,
    };
    store.commit({ sheets: [decided], attempts: [], events: [sheetEvent(decided, now)] });
    actor.stop();
    return { from: 'fermata', to };
  } finally {
    store.releaseLock();
  }
}
