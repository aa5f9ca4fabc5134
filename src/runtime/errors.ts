/** Errors a user of the API may catch, each named for what went wrong. */

export class UnknownJobError extends Error {
  override readonly name = 'UnknownJobError';
  constructor(readonly jobId: string) {
    super(`no job with id "${jobId}" is registered`);
  }
}

export class UnknownSheetError extends Error {
  override readonly name = 'UnknownSheetError';
  constructor(
    readonly jobId: string,
    readonly sheetId: string,
  ) {
    super(`job "${jobId}" has no sheet "${sheetId}"`);
  }
}

export class NotInFermataError extends Error {
  override readonly name = 'NotInFermataError';
  constructor(
    readonly sheetId: string,
    readonly state: string,
  ) {
    super(`sheet "${sheetId}" is ${state}, not in fermata: there is no decision to make`);
  }
}

export class UnknownDecisionError extends Error {
  override readonly name = 'UnknownDecisionError';
  constructor(
    readonly decision: string,
    readonly choices: readonly string[],
  ) {
    super(`unknown decision "${decision}": use one of ${choices.join(', ')}`);
  }
}

/** A budget pause lifts only when the budget is raised above what the job spent. */
export class BudgetSpentError extends Error {
  override readonly name = 'BudgetSpentError';
  constructor(
    readonly jobId: string,
    readonly spentUsd: number,
    readonly budgetUsd: number,
  ) {
    super(
      `job "${jobId}" spent $${spentUsd.toFixed(2)} of its $${budgetUsd.toFixed(2)} budget: ` +
        'raise the budget above what it spent (setBudget) to let it go on',
    );
  }
}

export class ConductorClosedError extends Error {
  override readonly name = 'ConductorClosedError';
  constructor() {
    super('the conductor is shutting down and accepts no new job');
  }
}

export class InstrumentSetupError extends Error {
  override readonly name = 'InstrumentSetupError';
  constructor(
    readonly instrument: string,
    message: string,
  ) {
    super(`instrument "${instrument}": ${message}`);
  }
}

export class CheckpointNotEmptyError extends Error {
  override readonly name = 'CheckpointNotEmptyError';
  constructor(
    readonly location: string,
    readonly job: string,
  ) {
    super(`${location} already holds a run of "${job}": resume it, or move the file aside to start over`);
  }
}

export class CheckpointEmptyError extends Error {
  override readonly name = 'CheckpointEmptyError';
  constructor(readonly location: string) {
    super(`${location} holds no job to resume: start one with \`baton run\``);
  }
}

export class IncompatibleCheckpointError extends Error {
  override readonly name = 'IncompatibleCheckpointError';
  constructor(
    readonly location: string,
    readonly problems: string[],
  ) {
    super(
      `the score no longer matches the checkpoint at ${location}:\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        '\nrestore the score, or resume with --force to drop what the checkpoint knows that the score lost',
    );
  }
}

/** The score's workspace cannot be made a folder: something else is in the way, or it may not be created. */
export class WorkspaceError extends Error {
  override readonly name = 'WorkspaceError';
  constructor(
    readonly path: string,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** Why a workspace cannot be made, for the causes a user can fix; anything else is rethrown as it is. */
const WORKSPACE_PROBLEMS: Record<string, string> = {
  EEXIST: 'a file of that name is in the way',
  ENOTDIR: 'a file is in the way of a folder above it',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
};

/** Makes the workspace folder (and its parents), or says in plain words why it cannot. */
export function ensureWorkspace(path: string, mkdir: (path: string) => void): void {
  try {
    mkdir(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === undefined ? undefined : WORKSPACE_PROBLEMS[code];
    if (why === undefined) throw error;
    throw new WorkspaceError(path, code, `cannot make the workspace ${path} a folder: ${why} (${code})`);
  }
}
