import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore, type SheetRow } from '../../src/index.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { jobRow, sheetRow, spawnChild } from './helpers.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = makeTempDir('baton-store-');
  path = join(dir, 'baton.db');
});
afterEach(() => removeDir(dir));

const SHEETS = 300;

/** Every row carries the batch that wrote it; a consistent read sees one batch only. */
function markers(rows: SheetRow[]): Set<number> {
  return new Set(rows.map((r) => r.updatedAt));
}

describe('SqliteStore with two processes', () => {
  it('gives a read-only reader whole batches while another process commits', async () => {
    // Batch 0, so the reader has something to open.
    const setup = SqliteStore.open(path);
    setup.commit({ job: jobRow({ updatedAt: 0 }), sheets: Array.from({ length: SHEETS }, (_, i) => sheetRow(`s.${i}`, { updatedAt: 0 })), attempts: [] });
    setup.close();

    const batches = 400;
    const writer = spawnChild(['write', path, String(batches), String(SHEETS)]);
    let stderr = '';
    writer.stderr.on('data', (d: Buffer) => (stderr += d));
    let running = true;
    const exited = new Promise<number | null>((done) =>
      writer.on('exit', (code) => {
        running = false;
        done(code);
      }),
    );

    const reader = SqliteStore.open(path, { readonly: true });
    const seen = new Set<number>();
    let reads = 0;
    while (running) {
      const sheets = reader.loadSheets();
      expect(sheets).toHaveLength(SHEETS);
      const one = markers(sheets);
      expect(one.size).toBe(1);
      // Job, sheets and lock from one snapshot.
      const all = reader.loadAll();
      expect(markers(all.sheets)).toEqual(new Set([all.job!.updatedAt]));
      for (const m of one) seen.add(m);
      reads++;
      await turn();
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    expect(reads).toBeGreaterThan(0);
    // The reader saw the writer's progress, not only the start.
    expect(seen.size).toBeGreaterThan(1);
    expect(markers(reader.loadSheets())).toEqual(new Set([batches]));
    reader.close();
  });

  it('keeps every committed batch of a writer killed with SIGKILL, and the file stays sound', async () => {
    const writer = spawnChild(['write', path, '100000', String(SHEETS)]);
    let committed = 0;
    let buffered = '';
    await new Promise<void>((enough, fail) => {
      writer.stdout.on('data', (d: Buffer) => {
        buffered += d;
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) committed = Number(line);
        if (committed >= 50) enough();
      });
      writer.on('exit', (code) => fail(new Error(`writer exited with ${code}`)));
    });
    const exited = new Promise((done) => writer.once('exit', done));
    writer.kill('SIGKILL');
    await exited;

    // `baton status` after the crash: the log the dead writer left is read as it is.
    const reader = SqliteStore.open(path, { readonly: true });
    const afterCrash = reader.loadSheets();
    reader.close();
    const [marker] = markers(afterCrash);
    expect(markers(afterCrash).size).toBe(1);
    // Everything it reported as committed is there (it may have committed more since).
    expect(marker).toBeGreaterThanOrEqual(committed);

    const store = SqliteStore.open(path, { create: false });
    expect(store.loadJob()!.updatedAt).toBe(marker);
    store.close();
    const check = new Database(path, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
  });
});
