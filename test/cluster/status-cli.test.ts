import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rateLimitGate } from '../../src/runtime/gates/rate-limit-gate.js';
import { baton } from '../cli/run-cli.js';
import { makeTempDir } from '../support/temp-dir.js';
import { writeSharedScore } from './shared-runs.js';

describe('baton status with a coordination backend', () => {
  it('names the backend and each shared cap, in text and JSON', async () => {
    const dir = makeTempDir('baton-status-coord-');
    const score = writeSharedScore({ name: 'capped', dir, log: join(dir, 'log'), sheets: 2, sleepMs: 10, sharedConcurrency: 2 });
    const file = join(dir, 'coordination.db');
    const run = await baton(['run', score, '--quiet', '--coordinate', `sqlite:${file}`]);
    expect(run.code, run.stderr).toBe(0);
    const text = await baton(['status', score]);
    expect(text.stdout).toContain(`coordination: sqlite:${file}\n`);
    expect(text.stdout).toContain('shared cap the-api: 0 of 2 running (0 here)\n');
    const json = JSON.parse((await baton(['status', score, '--json'])).stdout) as { shared: unknown };
    expect(json.shared).toEqual({ target: `sqlite:${file}`, online: true, caps: [{ identity: 'the-api', instruments: ['api'], limit: 2, running: 0, here: 0 }] });
  });

  it('says nothing of sharing for a run without one', async () => {
    const dir = makeTempDir('baton-status-coord-');
    const score = writeSharedScore({ name: 'alone', dir, log: join(dir, 'log'), sheets: 1, sleepMs: 10 });
    expect((await baton(['run', score, '--quiet'])).code).toBe(0);
    const text = await baton(['status', score]);
    expect(text.stdout).not.toContain('coordination');
    expect((JSON.parse((await baton(['status', score, '--json'])).stdout) as { shared: unknown }).shared).toBeNull();
  });

  it('says which rate limits another conductor reported', () => {
    const rows = [
      { instrument: 'api', model: null, until: 61_000, reportedAt: 1_000, jobId: '(shared)', sheetId: '(shared)' },
      { instrument: 'own', model: null, until: 61_000, reportedAt: 1_000, jobId: 'job', sheetId: 's' },
    ];
    expect(rateLimitGate.status(rows, 1_000).lines).toEqual(['rate-limited: api for another 60s (reported by another conductor)', 'rate-limited: own for another 60s']);
  });

  it('refuses a --coordinate it cannot use, naming it, and leaves a foreign file as it was', async () => {
    const dir = makeTempDir('baton-status-coord-');
    const score = writeSharedScore({ name: 'refused', dir, log: join(dir, 'log'), sheets: 1, sleepMs: 10 });
    const nonsense = await baton(['run', score, '--coordinate', 'nonsense']);
    expect(nonsense.code).toBe(2);
    expect(nonsense.stderr).toContain('--coordinate "nonsense"');
    const foreign = join(dir, 'notes.txt');
    writeFileSync(foreign, 'not a database\n');
    const refused = await baton(['run', score, '--coordinate', `sqlite:${foreign}`]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(foreign);
  });
});
