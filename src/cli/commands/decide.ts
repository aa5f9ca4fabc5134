import { FERMATA_DECISIONS, type FermataDecision } from '../../machines/types.js';
import { NotInFermataError, UnknownSheetError } from '../../runtime/errors.js';
import { decideInCheckpoint } from '../../runtime/durability/decide-in-checkpoint.js';
import { CheckpointError } from '../../store/errors.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import { checkpointFile } from '../checkpoint-file.js';
import { EXIT } from '../exit-codes.js';
import { reportScoreError } from '../score-errors.js';
import { loadScoreForCli, type DefaultsFlags } from '../score-loading.js';
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
    process.stdout.write(`${sheetId}: fermata → ${to}; continue the job with \`baton resume ${scorePath}\`\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof NotInFermataError || error instanceof UnknownSheetError || error instanceof CheckpointError || isCheckpointProblem(error)) {
      process.stderr.write(`${(error as Error).message}\n`);
      return EXIT.usage;
    }
    throw error;
  } finally {
    store?.close();
  }
}
