import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the runs of a workspace live. The current run is `<workspace>/baton.db` with its
 * outputs in `<workspace>/sheets/`; `baton run` moves a finished one, checkpoint and outputs
 * together, to `<workspace>/runs/<started>/` before it starts the next, so no folder ever
 * holds the outputs of two runs. `<started>` is when that run began (UTC, `:` and `.` as
 * `-`), so the folder of a run is known from its checkpoint alone: an archive cut short by a
 * crash is completed into the same folder by the next `baton run`.
 */

/** Archived runs kept per workspace; older ones are deleted when a new one is archived. */
export const KEPT_RUNS = 5;

const RUNS_FOLDER = 'runs';
const SHEETS_FOLDER = 'sheets';
/** The checkpoint's companions: present only while a connection has it open. */
const SQLITE_COMPANIONS = ['-wal', '-shm'] as const;

/** `<workspace>/runs` */
function runsFolder(workspace: string): string {
  return join(workspace, RUNS_FOLDER);
}

function stamp(at: number): string {
  return new Date(at).toISOString().replace(/[:.]/g, '-');
}

/** The first of `<stamp>`, `<stamp>-2`, … that holds no checkpoint yet: its run's folder. */
function folderFor(workspace: string, startedAt: number): string {
  const base = join(runsFolder(workspace), stamp(startedAt));
  let folder = base;
  for (let n = 2; existsSync(join(folder, 'baton.db')); n++) folder = `${base}-${n}`;
  return folder;
}

/** `to`, or `to-2`, `to-3`, … if taken. */
function freeName(to: string): string {
  let name = to;
  for (let n = 2; existsSync(name); n++) name = `${to}-${n}`;
  return name;
}

/**
 * Moves the finished run at `checkpoint` (`<workspace>/baton.db`, closed) and its outputs to
 * its own folder under `runs/`, then deletes the oldest archived runs beyond `KEPT_RUNS`.
 * The outputs move first and the checkpoint last, each by one rename: until the checkpoint
 * has moved, the workspace still holds it, and the next `baton run` finishes the move.
 * Returns the run's folder.
 */
export function archiveRun(workspace: string, checkpoint: string, startedAt: number): string {
  const folder = folderFor(workspace, startedAt);
  mkdirSync(folder, { recursive: true });
  const sheets = join(workspace, SHEETS_FOLDER);
  if (existsSync(sheets)) renameSync(sheets, freeName(join(folder, SHEETS_FOLDER)));
  for (const suffix of SQLITE_COMPANIONS) {
    if (existsSync(checkpoint + suffix)) renameSync(checkpoint + suffix, join(folder, `baton.db${suffix}`));
  }
  renameSync(checkpoint, join(folder, 'baton.db'));
  pruneRuns(workspace);
  return folder;
}

/**
 * Outputs left in `<workspace>/sheets/` with no checkpoint beside them (it was moved aside
 * to start over): kept in a folder of their own, so the next run does not write among them.
 */
export function archiveStrayOutputs(workspace: string, now: number): string | undefined {
  const sheets = join(workspace, SHEETS_FOLDER);
  if (!existsSync(sheets)) return undefined;
  const folder = folderFor(workspace, now);
  mkdirSync(folder, { recursive: true });
  renameSync(sheets, freeName(join(folder, SHEETS_FOLDER)));
  pruneRuns(workspace);
  return folder;
}

/** Deletes the oldest archived runs (by folder name: by start time) beyond `KEPT_RUNS`. */
function pruneRuns(workspace: string): void {
  const runs = runsFolder(workspace);
  const folders = readdirSync(runs, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  for (const name of folders.slice(0, Math.max(0, folders.length - KEPT_RUNS))) {
    rmSync(join(runs, name), { recursive: true, force: true });
  }
}
