import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore, SqliteStore, type CheckpointStore } from '../../src/index.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { attemptRow, jobRow } from './helpers.js';

let dir: string;
beforeEach(() => (dir = makeTempDir('baton-store-')));
afterEach(() => removeDir(dir));

const stores: Array<[string, () => CheckpointStore]> = [
  ['SqliteStore', () => SqliteStore.open(join(dir, 'baton.db'))],
  ['MemoryStore', () => new MemoryStore()],
];

describe.each(stores)('%s: policies and validation details', (_, open) => {
  it('round-trips the rate limits and breakers recorded with the job', () => {
    const store = open();
    const policies = {
      rateLimits: [{ instrument: 'claude', model: null, until: 9_000, reportedAt: 1_000, jobId: 'j', sheetId: 'a' }],
      breakers: [{ instrument: 'sh', state: 'open' as const, context: { reopenAt: 5_000, opens: 2 } }],
    };
    store.commit({ job: { ...jobRow(), policies }, sheets: [], attempts: [] });
    expect(store.loadJob()?.policies).toEqual(policies);
    store.close();
  });

  it('round-trips what the validations said after an attempt', () => {
    const store = open();
    const validation = { passed: 2, total: 3, failed: ['file_exists out/3.txt'] };
    store.commit({ sheets: [], attempts: [{ ...attemptRow('a', 1), status: 'success', validation }] });
    expect(store.loadAttempts('a')[0]?.validation).toEqual(validation);
    store.close();
  });
});
