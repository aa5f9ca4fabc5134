import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { decodeJson, encodeOutput } from './json.js';
import type { AttemptRow, JobRow, SheetRow, PolicyState } from './types.js';

/**
 * How checkpoint rows map to SQLite rows, and the statements that read and write them
 * (prepared once per connection). JSON columns are encoded here and nowhere else.
 */

export interface JobRecord {
  job_id: string;
  name: string;
  fingerprint: string;
  state: string;
  pause_reasons: string;
  budget_usd: number | null;
  outcome: string | null;
  policies: string | null;
  created_at: number;
  updated_at: number;
}

export interface SheetRecord {
  id: string;
  state: string;
  dispatches: number;
  rate_limited: number;
  interrupted: number;
  attempts: number;
  instrument_index: number;
  last_error: string | null;
  reason: string | null;
  skipped_by_decision: number;
  cost_usd: number;
  first_dispatch_at: number | null;
  ended_at: number | null;
  output_file: string | null;
  output: string | null;
  context: string | null;
  updated_at: number;
}

export interface AttemptRecord {
  sheet_id: string;
  number: number;
  mode: string;
  instrument: string;
  model: string | null;
  started_at: number;
  ended_at: number | null;
  status: string;
  exit_code: number | null;
  signal: string | null;
  error: string | null;
  reason: string | null;
  cost_usd: number | null;
  stdout_file: string | null;
  stderr_file: string | null;
  pid: number | null;
  pid_start: string | null;
  validation: string | null;
}

interface LockRecord {
  pid: number;
  host: string;
  acquired_at: number;
  pid_start: string | null;
}

export const toJobRecord = (job: JobRow): JobRecord => ({
  job_id: job.jobId,
  name: job.name,
  fingerprint: JSON.stringify(job.fingerprint),
  state: job.state,
  pause_reasons: JSON.stringify(job.pauseReasons),
  budget_usd: job.budgetUsd,
  outcome: job.outcome,
  policies: job.policies === undefined ? null : JSON.stringify(job.policies),
  created_at: job.createdAt,
  updated_at: job.updatedAt,
});

export const fromJobRecord = (r: JobRecord): JobRow => ({
  jobId: r.job_id,
  name: r.name,
  fingerprint: JSON.parse(r.fingerprint) as JobRow['fingerprint'],
  state: r.state as JobRow['state'],
  pauseReasons: JSON.parse(r.pause_reasons) as string[],
  budgetUsd: r.budget_usd,
  outcome: r.outcome as JobRow['outcome'],
  ...(r.policies === null ? {} : { policies: JSON.parse(r.policies) as PolicyState }),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toSheetRecord = (s: SheetRow): SheetRecord => ({
  id: s.id,
  state: s.state,
  dispatches: s.dispatches,
  rate_limited: s.rateLimited,
  interrupted: s.interrupted,
  attempts: s.attempts,
  instrument_index: s.instrumentIndex,
  last_error: s.lastError,
  reason: s.reason,
  // SQLite has no boolean; better-sqlite3 refuses to bind one.
  skipped_by_decision: s.skippedByDecision ? 1 : 0,
  cost_usd: s.costUsd,
  first_dispatch_at: s.firstDispatchAt,
  ended_at: s.endedAt,
  output_file: s.outputFile,
  output: encodeOutput(s.output),
  context: s.context === null ? null : JSON.stringify(s.context),
  updated_at: s.updatedAt,
});

export const fromSheetRecord = (r: SheetRecord): SheetRow => ({
  id: r.id,
  state: r.state as SheetRow['state'],
  dispatches: r.dispatches,
  rateLimited: r.rate_limited,
  interrupted: r.interrupted,
  attempts: r.attempts,
  instrumentIndex: r.instrument_index,
  lastError: r.last_error,
  reason: r.reason as SheetRow['reason'],
  skippedByDecision: r.skipped_by_decision !== 0,
  costUsd: r.cost_usd,
  firstDispatchAt: r.first_dispatch_at,
  endedAt: r.ended_at,
  outputFile: r.output_file,
  output: decodeJson(r.output),
  context: decodeJson<NonNullable<SheetRow['context']>>(r.context),
  updatedAt: r.updated_at,
});

export const toAttemptRecord = (a: AttemptRow): AttemptRecord => ({
  sheet_id: a.sheetId,
  number: a.number,
  mode: a.mode,
  instrument: a.instrument,
  model: a.model,
  started_at: a.startedAt,
  ended_at: a.endedAt,
  status: a.status,
  exit_code: a.exitCode,
  signal: a.signal,
  error: a.error,
  reason: a.reason,
  cost_usd: a.costUsd,
  stdout_file: a.stdoutFile,
  stderr_file: a.stderrFile,
  // Optional chaining guards rows built before these fields existed.
  pid: a.pid ?? null,
  pid_start: a.pidStart ?? null,
  validation: a.validation === undefined || a.validation === null ? null : JSON.stringify(a.validation),
});

export const fromAttemptRecord = (r: AttemptRecord): AttemptRow => ({
  sheetId: r.sheet_id,
  number: r.number,
  mode: r.mode as AttemptRow['mode'],
  instrument: r.instrument,
  model: r.model,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  status: r.status as AttemptRow['status'],
  exitCode: r.exit_code,
  signal: r.signal,
  error: r.error,
  reason: r.reason as AttemptRow['reason'],
  costUsd: r.cost_usd,
  stdoutFile: r.stdout_file,
  stderrFile: r.stderr_file,
  pid: r.pid,
  pidStart: r.pid_start,
  ...(r.validation === null ? {} : { validation: JSON.parse(r.validation) as AttemptRow['validation'] }),
});

const JOB_COLUMNS = [
  'job_id',
  'name',
  'fingerprint',
  'state',
  'pause_reasons',
  'budget_usd',
  'outcome',
  'policies',
  'created_at',
  'updated_at',
] as const;
const SHEET_COLUMNS = [
  'id',
  'state',
  'dispatches',
  'rate_limited',
  'interrupted',
  'attempts',
  'instrument_index',
  'last_error',
  'reason',
  'skipped_by_decision',
  'cost_usd',
  'first_dispatch_at',
  'ended_at',
  'output_file',
  'output',
  'context',
  'updated_at',
] as const;
const ATTEMPT_COLUMNS = [
  'sheet_id',
  'number',
  'mode',
  'instrument',
  'model',
  'started_at',
  'ended_at',
  'status',
  'exit_code',
  'signal',
  'error',
  'reason',
  'cost_usd',
  'stdout_file',
  'stderr_file',
  'pid',
  'pid_start',
  'validation',
] as const;

/** `INSERT … ON CONFLICT(key) DO UPDATE SET` every other column: keeps the row's rowid (its order). */
function upsertSql(table: string, columns: readonly string[], key: readonly string[], fixed: Record<string, string> = {}): string {
  const names = [...Object.keys(fixed), ...columns];
  const values = [...Object.values(fixed), ...columns.map((c) => `@${c}`)];
  const updates = columns.filter((c) => !key.includes(c)).map((c) => `${c} = excluded.${c}`);
  return (
    `INSERT INTO ${table} (${names.join(', ')}) VALUES (${values.join(', ')}) ` +
    `ON CONFLICT(${key.join(', ')}) DO UPDATE SET ${updates.join(', ')}`
  );
}

export interface ReadStatements {
  job: Statement<[], JobRecord>;
  jobName: Statement<[], string>;
  sheets: Statement<[], SheetRecord>;
  attempts: Statement<[], AttemptRecord>;
  attemptsOf: Statement<[string], AttemptRecord>;
  lock: Statement<[], LockRecord>;
}

export interface WriteStatements {
  job: Statement<[JobRecord]>;
  sheet: Statement<[SheetRecord]>;
  attempt: Statement<[AttemptRecord]>;
  setLock: Statement<[LockRecord]>;
  releaseLock: Statement<[{ pid: number; host: string }]>;
  breakLock: Statement;
  /** Run in order with a sheet id: everything the checkpoint holds of that sheet. */
  removeSheet: Array<Statement<[string]>>;
}

/** Prepared once per connection and reused for every call. */
export function readStatements(db: Database.Database): ReadStatements {
  return {
    job: db.prepare<[], JobRecord>(`SELECT ${JOB_COLUMNS.join(', ')} FROM job WHERE id = 1`),
    jobName: db.prepare<[], string>('SELECT name FROM job WHERE id = 1').pluck(),
    sheets: db.prepare<[], SheetRecord>(`SELECT ${SHEET_COLUMNS.join(', ')} FROM sheets ORDER BY rowid`),
    // By sheet (in the order sheets were first written), then number.
    attempts: db.prepare<[], AttemptRecord>(
      `SELECT ${ATTEMPT_COLUMNS.map((c) => `a.${c}`).join(', ')} FROM attempts a ` +
        'LEFT JOIN sheets s ON s.id = a.sheet_id ORDER BY s.rowid, a.sheet_id, a.number',
    ),
    attemptsOf: db.prepare<[string], AttemptRecord>(
      `SELECT ${ATTEMPT_COLUMNS.join(', ')} FROM attempts WHERE sheet_id = ? ORDER BY number`,
    ),
    lock: db.prepare<[], LockRecord>('SELECT pid, host, acquired_at, pid_start FROM lock WHERE id = 1'),
  };
}

export function writeStatements(db: Database.Database): WriteStatements {
  return {
    job: db.prepare<[JobRecord]>(upsertSql('job', JOB_COLUMNS, ['id'], { id: '1' })),
    sheet: db.prepare<[SheetRecord]>(upsertSql('sheets', SHEET_COLUMNS, ['id'])),
    attempt: db.prepare<[AttemptRecord]>(upsertSql('attempts', ATTEMPT_COLUMNS, ['sheet_id', 'number'])),
    setLock: db.prepare<[LockRecord]>(
      'INSERT OR REPLACE INTO lock (id, pid, host, acquired_at, pid_start) VALUES (1, @pid, @host, @acquired_at, @pid_start)',
    ),
    releaseLock: db.prepare<[{ pid: number; host: string }]>(
      'DELETE FROM lock WHERE id = 1 AND pid = @pid AND host = @host',
    ),
    breakLock: db.prepare('DELETE FROM lock'),
    removeSheet: [
      db.prepare<[string]>('DELETE FROM sheet_events WHERE sheet_id = ?'),
      db.prepare<[string]>('DELETE FROM attempts WHERE sheet_id = ?'),
      db.prepare<[string]>('DELETE FROM sheets WHERE id = ?'),
    ],
  };
}
