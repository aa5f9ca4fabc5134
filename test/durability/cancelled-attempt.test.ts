import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Conductor, defineScore, SqliteStore } from '../../src/index.js';
import { reportData } from '../../src/observe/report/index.js';
import { waitFor } from '../support/wait-for.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-cancelled-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('an attempt killed by a cancel', () => {
  it('is recorded in the checkpoint as cancelled and ended, not left running', async () => {
    const score = defineScore({
      version: 1,
      name: 'cancel',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['sleep'] } },
      sheets: [{ id: 'long', args: ['30'] }],
    });
    const store = new SqliteStore(join(dir, 'baton.db'));
    const conductor = new Conductor();
    const id = conductor.register(score, { store });
    await waitFor(() => (conductor.status(id).sheets[0]!.state === 'running' ? true : undefined));

    conductor.cancel(id);
    expect((await conductor.waitForCompletion(id)).outcome).toBe('cancelled');
    await conductor.shutdown();

    const [attempt] = store.loadAttempts();
    expect(attempt).toMatchObject({ sheetId: 'long', status: 'cancelled', signal: 'SIGTERM' });
    expect(attempt!.endedAt).not.toBeNull();
    expect(store.loadSheets()[0]).toMatchObject({ id: 'long', state: 'cancelled' });
    // The report draws it as it was, not as a run that is still going or was cut by a crash.
    const contents = store.loadAll({ events: true });
    const model = reportData({ job: contents.job!, sheets: contents.sheets, attempts: contents.attempts, events: contents.events ?? [] }, score, { now: Date.now() });
    expect(model.summary.attempts).toMatchObject({ total: 1, cancelled: 1, running: 0, interrupted: 0 });
    store.close();
  });
});
