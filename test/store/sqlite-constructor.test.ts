import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointNotFoundError, SqliteStore } from '../../src/index.js';
import { checkpointPath } from '../../src/store/sqlite-store.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { thrownBy } from '../support/thrown.js';
import { jobRow, sheetRow } from './helpers.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = makeTempDir('baton-store-ctor-');
  path = checkpointPath(dir);
});
afterEach(() => removeDir(dir));

describe('new SqliteStore(path)', () => {
  it('opens a checkpoint file like SqliteStore.open: what one writes the other reads', () => {
    const store = new SqliteStore(path);
    store.commit({ job: jobRow(), sheets: [sheetRow('a')], attempts: [] });
    store.close();

    const again = SqliteStore.open(path, { readonly: true });
    expect(again.loadSheets().map((s) => s.id)).toEqual(['a']);
    again.close();
    const reader = new SqliteStore(path, { create: false });
    expect(reader.loadJob()?.name).toBe(jobRow().name);
    reader.close();
  });

  it('takes the same options: create false refuses a missing file, naming it', () => {
    const error = thrownBy(CheckpointNotFoundError, () => new SqliteStore(`${dir}/missing.db`, { create: false }));
    expect(error.message).toContain(`${dir}/missing.db`);
  });

  it('called from JavaScript without a path, says that the path is missing', () => {
    const Untyped = SqliteStore as unknown as new (...args: unknown[]) => SqliteStore;
    expect(() => new Untyped()).toThrow(new TypeError("SqliteStore: the checkpoint file's path must be a non-empty string, got undefined"));
    expect(() => new Untyped('')).toThrow(/got an empty string/);
  });
});
