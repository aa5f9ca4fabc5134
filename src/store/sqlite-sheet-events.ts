import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { SheetEventRow } from './types.js';

/** How sheet events map to rows of the `sheet_events` table (schema v5), and its statements. */

export interface SheetEventRecord {
  sheet_id: string;
  at: number;
  state: string;
  until: number | null;
  detail: string | null;
}

export const toSheetEventRecord = (e: SheetEventRow): SheetEventRecord => ({
  sheet_id: e.sheetId,
  at: e.at,
  state: e.state,
  until: e.until,
  detail: e.detail,
});

export const fromSheetEventRecord = (r: SheetEventRecord): SheetEventRow => ({
  sheetId: r.sheet_id,
  at: r.at,
  state: r.state as SheetEventRow['state'],
  until: r.until,
  detail: r.detail,
});

export interface SheetEventStatements {
  append: Statement<[SheetEventRecord]> | undefined;
  all: Statement<[], SheetEventRecord>;
}

/** `append` only on a writable connection. */
export function sheetEventStatements(db: Database.Database, writable: boolean): SheetEventStatements {
  return {
    append: writable
      ? db.prepare<[SheetEventRecord]>(
          'INSERT INTO sheet_events (sheet_id, at, state, until, detail) VALUES (@sheet_id, @at, @state, @until, @detail)',
        )
      : undefined,
    all: db.prepare<[], SheetEventRecord>('SELECT sheet_id, at, state, until, detail FROM sheet_events ORDER BY seq'),
  };
}
