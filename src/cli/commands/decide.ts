import { FERMATA_DECISIONS, type FermataDecision } from '../../machines/types.js';
import { NotInFermataError, UnknownSheetError } from '../../runtime/errors.js';
import { decideInCheckpoint } from '../../runtime/durability/decide-in-checkpoint.js';
import { CheckpointError } from '../../store/errors.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import { checkpointFile } from '../checkpoint-file.js';
import { EXIT } from '../exit-codes.js';
import { reportScoreError } from '../score-errors.js';
import { loadScoreForCli, type DefaultsFlags } from '../score-loading.js';
import { batonCommand, decideCommandFor } from '../next-command.js';
import { isCheckpointProblem } from './run.js';

/** `baton decide SCORE SHEET retry|skip|fail|accept`: resolves a fermata in the checkpoint. */
export async function decideCommand(
  scorePath: string,
  sheetId: string,
  decision: string,
  flags: DefaultsFlags = {},
): Promise<number> {
  if (!(FERMATA_DECISIONS as readonly string[]).includes(decision)) {
    process.stderr.write(`unknown decision "${decision}": use one of ${FERMATA_DECISIONS.join(', ')}\n`);
    return EXIT.usage;
  }
  let path: string;
  try {
    path = checkpointFile(await loadScoreForCli(scorePath, flags));
  } catch (error) {
    return reportScoreError(error, process.stderr);
  }
  let store: SqliteStore | undefined;
  try {
    store = SqliteStore.open(path, { create: false });
    const { to } = decideInCheckpoint(store, sheetId, decision as FermataDecision, Date.now());
    const left = atFermata(store);
    process.stdout.write(
      left.length === 0
        ? `${sheetId}: fermata → ${to}; continue the job with ${batonCommand('resume', scorePath)}\n`
        : `${sheetId}: fermata → ${to}; still at a fermata: ${left.join(', ')} (${decideCommandFor(scorePath, left[0]!)}), then ${batonCommand('resume', scorePath)}\n`,
    );
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UnknownSheetError || error instanceof NotInFermataError) {
      process.stderr.write(`${notDecidable(error, scorePath, store === undefined ? [] : atFermata(store))}\n`);
      return EXIT.usage;
    }
    if (error instanceof CheckpointError || isCheckpointProblem(error)) {
      process.stderr.write(`${(error as Error).message}\n`);
      return EXIT.usage;
    }
    throw error;
  } finally {
    store?.close();
  }
}

function atFermata(store: SqliteStore): string[] {
  return store
    .loadSheets()
    .filter((sheet) => sheet.state === 'fermata')
    .map((sheet) => sheet.id);
}

/** Why there is nothing to decide for that sheet, in the score's words, and what there is to decide instead. */
function notDecidable(error: UnknownSheetError | NotInFermataError, scorePath: string, fermatas: readonly string[]): string {
  const what = error instanceof UnknownSheetError ? `${scorePath} has no sheet "${error.sheetId}"` : error.message;
  if (fermatas.length === 0) return `${what}; no sheet is at a fermata (see ${batonCommand('status', scorePath)})`;
  return `${what}; at a fermata: ${fermatas.join(', ')} (${decideCommandFor(scorePath, fermatas[0]!)})`;
}
