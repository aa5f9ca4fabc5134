import type { LockInfo } from './types.js';

/**
 * Errors about a job's checkpoint. Each message names the file and says what to do, so a
 * CLI can print `error.message` alone, without a stack.
 */
export class CheckpointError extends Error {
  override readonly name: string = 'CheckpointError';
  constructor(
    /** The checkpoint file (or `memory`). */
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `create: false` (resume, status) on a file that does not exist or holds nothing yet. */
export class CheckpointNotFoundError extends CheckpointError {
  override readonly name = 'CheckpointNotFoundError';
  constructor(path: string) {
    super(path, `no checkpoint at ${path}: run \`baton run\` first`);
  }
}

/** Not an SQLite file, or a damaged one. */
export class CheckpointCorruptError extends CheckpointError {
  override readonly name = 'CheckpointCorruptError';
  constructor(
    path: string,
    /** SQLite's own words. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      path,
      `${path} is not a readable baton checkpoint (${reason}); move it aside to start over, or restore it from a backup`,
      options,
    );
  }
}

/** A valid SQLite database that some other program wrote. */
export class ForeignCheckpointError extends CheckpointError {
  override readonly name = 'ForeignCheckpointError';
  constructor(
    path: string,
    readonly detail: string,
  ) {
    super(
      path,
      `${path} is an SQLite database but not a baton checkpoint (${detail}); baton leaves it untouched: move it elsewhere, or point baton at another workspace`,
    );
  }
}

/** Written by a newer baton whose schema this code does not know. */
export class CheckpointTooNewError extends CheckpointError {
  override readonly name = 'CheckpointTooNewError';
  constructor(
    path: string,
    readonly version: number,
    readonly supported: number,
  ) {
    super(
      path,
      `${path} was written by a newer baton (schema v${version}; this baton reads up to v${supported}); upgrade baton to use it`,
    );
  }
}

/** A read-only open (e.g. `baton status`) of a file whose schema must first be migrated. */
export class CheckpointNeedsMigrationError extends CheckpointError {
  override readonly name = 'CheckpointNeedsMigrationError';
  constructor(
    path: string,
    readonly version: number,
    readonly latest: number,
  ) {
    super(
      path,
      `${path} uses the older checkpoint schema v${version} (this baton uses v${latest}) and cannot be upgraded while opened read-only; run \`baton resume\` with this version of baton first`,
    );
  }
}

/** Another live process holds the job's lock. */
export class CheckpointLockedError extends CheckpointError {
  override readonly name = 'CheckpointLockedError';
  constructor(
    path: string,
    readonly holder: LockInfo,
    options: { jobName?: string | undefined; otherHost?: boolean } = {},
  ) {
    const job = options.jobName === undefined ? 'the job' : `job "${options.jobName}"`;
    const since = new Date(holder.acquiredAt).toISOString();
    const running = `${job} in ${path} is already running in process ${holder.pid} on ${holder.host} since ${since}`;
    super(
      path,
      options.otherHost
        ? `${running}; baton cannot tell from this host whether that process is still alive: stop it first, or wait for it; if it is gone for good, break the lock`
        : `${running}; stop it first, or wait for it`,
    );
  }
}

/** A write (commit, lock) through a store opened read-only. */
export class CheckpointReadOnlyError extends CheckpointError {
  override readonly name = 'CheckpointReadOnlyError';
  constructor(path: string, what: string) {
    super(path, `cannot ${what}: ${path} was opened read-only; open it without \`readonly\` to write`);
  }
}

/** Any call on a store after `close()`. */
export class CheckpointClosedError extends CheckpointError {
  override readonly name = 'CheckpointClosedError';
  constructor(path: string) {
    super(path, `the checkpoint ${path} is closed; open it again to use it`);
  }
}
