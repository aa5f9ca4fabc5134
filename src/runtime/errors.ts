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
