import { existsSync, mkdirSync } from 'node:fs';
import { CheckpointLockedError } from '../store/errors.js';
import { isProcessAlive } from '../store/lock.js';
import { SqliteStore, checkpointPath } from '../store/sqlite-store.js';
import type { LockInfo } from '../store/types.js';
import { hostname } from 'node:os';
import type { Score } from '../score/types.js';
import { archiveRun, archiveStrayOutputs } from './run-archive.js';
import { ensureWorkspace } from '../runtime/errors.js';

/** `<workspace>/baton.db`: the job's checkpoint. */
export function checkpointFile(score: Score): string {
  return checkpointPath(score.workspace);
}

/** Thrown when `baton run` would otherwise discard a run that can still be continued. */
export class UnfinishedRunError extends Error {
  constructor(path: string, name: string, completed: number, total: number, scorePath: string) {
    super(
      `${path} holds an unfinished run of "${name}" (${completed} of ${total} sheets completed): ` +
        `continue it with \`baton resume ${scorePath}\`, or move the file aside to start over`,
    );
  }
}

/** A fresh checkpoint for `baton run`, and where the run before it was moved, if anywhere. */
export interface FreshCheckpoint {
  store: SqliteStore;
  /** The folder under `<workspace>/runs/` that now holds the previous run (see `run-archive.ts`). */
  archived: string | undefined;
}

/**
 * A fresh checkpoint for `baton run`. A finished run is moved, checkpoint and outputs, to
 * `<workspace>/runs/<started>/` first; an unfinished one is never replaced silently.
 */
export function freshCheckpoint(score: Score, scorePath: string, now: Date): FreshCheckpoint {
  const path = checkpointFile(score);
  ensureWorkspace(score.workspace, (path) => mkdirSync(path, { recursive: true }));
  let archived: string | undefined;
  if (existsSync(path)) {
    const previous = SqliteStore.open(path, { create: false });
    const job = previous.loadJob();
    const holder = previous.lockHolder();
    if (holder !== undefined && holderIsLive(holder)) {
      previous.close();
      throw new CheckpointLockedError(path, holder, { jobName: job?.name, otherHost: holder.host !== hostname() });
    }
    const sheets = job === undefined ? [] : previous.loadSheets();
    // Closing the last connection checkpoints the WAL into the file and removes -wal and -shm.
    previous.close();
    const finished = job === undefined || job.outcome === 'completed' || job.outcome === 'failed' || job.outcome === 'cancelled';
    if (!finished) {
      const completed = sheets.filter((s) => s.state === 'completed').length;
      throw new UnfinishedRunError(path, job.name, completed, sheets.length, scorePath);
    }
    if (job !== undefined) archived = archiveRun(score.workspace, path, job.createdAt);
  }
  archived ??= archiveStrayOutputs(score.workspace, now.getTime());
  return { store: SqliteStore.open(path), archived };
}

/** A lock held by a running process (or by one on another host, which we cannot check). */
function holderIsLive(holder: LockInfo): boolean {
  return holder.host !== hostname() || (holder.pid !== process.pid && isProcessAlive(holder.pid));
}
