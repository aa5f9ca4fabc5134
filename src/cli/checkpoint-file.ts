import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointLockedError } from '../store/errors.js';
import { isProcessAlive } from '../store/lock.js';
import { SqliteStore, checkpointPath } from '../store/sqlite-store.js';
import type { LockInfo } from '../store/types.js';
import { hostname } from 'node:os';
import type { Score } from '../score/types.js';

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

/**
 * A fresh checkpoint for `baton run`. A finished run's checkpoint is kept beside it as
 * `baton-<time>.db`; an unfinished one is never replaced silently.
 */
export function freshCheckpoint(score: Score, scorePath: string, now: Date): SqliteStore {
  const path = checkpointFile(score);
  mkdirSync(score.workspace, { recursive: true });
  if (existsSync(path)) {
    const previous = SqliteStore.open(path, { create: false });
    const job = previous.loadJob();
    const holder = previous.lockHolder();
    if (holder !== undefined && holderIsLive(holder)) {
      previous.close();
      throw new CheckpointLockedError(path, holder, { jobName: job?.name, otherHost: holder.host !== hostname() });
    }
    const sheets = job === undefined ? [] : previous.loadSheets();
    previous.close();
    const finished = job === undefined || job.outcome === 'completed' || job.outcome === 'failed' || job.outcome === 'cancelled';
    if (!finished) {
      const completed = sheets.filter((s) => s.state === 'completed').length;
      throw new UnfinishedRunError(path, job.name, completed, sheets.length, scorePath);
    }
    if (job !== undefined) {
      const archived = join(score.workspace, `baton-${now.toISOString().replace(/[:.]/g, '-')}.db`);
      renameSync(path, archived);
    }
  }
  return SqliteStore.open(path);
}

/** A lock held by a running process (or by one on another host, which we cannot check). */
function holderIsLive(holder: LockInfo): boolean {
  return holder.host !== hostname() || (holder.pid !== process.pid && isProcessAlive(holder.pid));
}
