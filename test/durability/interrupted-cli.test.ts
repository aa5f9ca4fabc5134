/**
 * Attempts cut short by Ctrl-C or kill -9 of a real `baton run`, as `status`, the progress
 * lines, the checkpoint and `baton report` tell them afterwards. Waits poll for outcomes;
 * times are only compared with one another, never with a duration.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore, type AttemptRow } from '../../src/index.js';
import { baton, startBaton, type BatonProcess } from '../cli/run-cli.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { killLeftovers, statusJson, waitForLine } from './baton-process.js';

interface Workspace {
  dir: string;
  score: string;
  log: string;
  ws: string;
}

const workspaces: Workspace[] = [];
const processes: BatonProcess[] = [];

afterEach(async () => {
  for (const proc of processes.splice(0)) {
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
  }
  for (const w of workspaces.splice(0)) {
    killLeftovers(w.log);
    removeDir(w.dir);
  }
});

/** `quick` runs at once; `slow` logs, then sleeps 30 s the first time only. */
function workspace(): Workspace {
  const dir = makeTempDir('baton-interrupted-');
  const w = { dir, score: join(dir, 'score.yaml'), log: join(dir, 'log'), ws: join(dir, 'ws') };
  const mark = join(dir, 'slept');
  const logged = (rest: string) => `['echo "{{sheet.id}} $$" >> ${w.log}; ${rest}']`;
  writeFileSync(
    w.score,
    `version: 1\nname: cut\nworkspace: ws\nconcurrency: 2\ninstruments:\n  sh: { kind: command, command: [bash, -c] }\n` +
      `defaults:\n  instrument: sh\n  retries: 0\nsheets:\n` +
      `  - { id: quick, args: ${logged('echo done')} }\n` +
      `  - { id: slow, args: ${logged(`if [ ! -e ${mark} ]; then touch ${mark}; sleep 30; fi; echo slow-done`)} }\n`,
  );
  workspaces.push(w);
  return w;
}

/** Starts `baton run` and resolves once `slow` sleeps and `quick` is checkpointed as completed. */
async function runUntilSlow(w: Workspace): Promise<BatonProcess> {
  const proc = startBaton(['run', w.score], { cwd: w.dir });
  processes.push(proc);
  await waitForLine(w.log, (line) => line.startsWith('slow '));
  await waitFor(() => (existsSync(join(w.dir, 'slept')) ? true : undefined), { pollMs: 20 });
  await waitFor(
    async () => {
      const { status } = await statusJson(w.score, { cwd: w.dir });
      return status?.sheets.find((s) => s.id === 'quick')?.state === 'completed' ? true : undefined;
    },
    { pollMs: 50 },
  );
  return proc;
}

function attemptsOf(w: Workspace, sheetId: string): AttemptRow[] {
  const store = SqliteStore.open(join(w.ws, 'baton.db'), { readonly: true });
  try {
    return store.loadAttempts(sheetId);
  } finally {
    store.close();
  }
}

async function countsOf(w: Workspace, id: string): Promise<{ attempts: number; interrupted: number } | undefined> {
  const { status } = await statusJson(w.score, { cwd: w.dir });
  return status?.sheets.find((s) => s.id === id);
}

describe('an attempt cut short by Ctrl-C', () => {
  it('is recorded as interrupted, ended at the stop; the resume numbers its run as status and the output files do', async () => {
    const w = workspace();
    const running = await runUntilSlow(w);
    running.child.kill('SIGINT');
    expect((await running.exited).code).toBe(130);
    const stoppedBy = Date.now();

    const [cut] = attemptsOf(w, 'slow');
    expect(cut).toMatchObject({ number: 1, status: 'interrupted', reason: null });
    // How its process ended is kept: killed by the stop.
    expect(cut!.signal).not.toBeNull();
    expect(cut!.endedAt).toBeGreaterThanOrEqual(cut!.startedAt);
    expect(cut!.endedAt).toBeLessThanOrEqual(stoppedBy);
    expect(cut!.error).toMatch(/^interrupted: baton stopped/);
    expect(await countsOf(w, 'slow')).toMatchObject({ attempts: 0, interrupted: 1 });
    const text = await baton(['status', w.score], { cwd: w.dir });
    expect(text.stdout).toMatch(/slow\s+\S+\s+attempts\s+0\s+interrupted 1/);

    const resumed = await baton(['resume', w.score], { cwd: w.dir });
    expect(resumed.code).toBe(0);
    // Its first attempt, in its second run: the files of that run are 2.stdout and 2.stderr.
    expect(resumed.stderr).toMatch(/\] slow started \(attempt 1, run 2, sh\)/);
    expect(await countsOf(w, 'slow')).toMatchObject({ attempts: 1, interrupted: 1 });
    expect(readFileSync(join(w.ws, 'sheets', 'slow', '2.stdout'), 'utf8')).toBe('slow-done\n');
    const [first, second] = attemptsOf(w, 'slow');
    // The time no baton ran is no part of the interrupted run.
    expect(first!.endedAt).toBeLessThanOrEqual(second!.startedAt);
    expect(second).toMatchObject({ number: 2, status: 'success' });
  }, 60_000);
});

describe('an attempt cut short by kill -9 of baton', () => {
  it('shows as interrupted in the report before the resume, and ends at the last checkpoint write once resumed', async () => {
    const w = workspace();
    const running = await runUntilSlow(w);
    running.child.kill('SIGKILL');
    await running.exited;
    const killedBy = Date.now();
    killLeftovers(w.log);

    const out = join(w.dir, 'before.html');
    expect((await baton(['report', w.score, '--out', out], { cwd: w.dir })).code).toBe(0);
    const before = readFileSync(out, 'utf8');
    expect(before).toMatch(/<rect class="a-interrupted" data-attempt="1"/);
    expect(before).toContain('<td data-key="interrupted runs">1</td>');

    const resumedAt = Date.now();
    const resumed = await baton(['resume', w.score], { cwd: w.dir });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/\] slow started \(attempt 1, run 2, sh\)/);
    const [cut, again] = attemptsOf(w, 'slow');
    expect(cut).toMatchObject({ number: 1, status: 'interrupted', reason: null });
    expect(cut!.error).toMatch(/^interrupted: baton ended without recording/);
    // Not at the resume: at the last write of the killed process, before it was killed.
    expect(cut!.endedAt).toBeGreaterThanOrEqual(cut!.startedAt);
    expect(cut!.endedAt).toBeLessThanOrEqual(killedBy);
    expect(cut!.endedAt).toBeLessThan(resumedAt);
    expect(again).toMatchObject({ number: 2, status: 'success' });
    expect(await countsOf(w, 'slow')).toMatchObject({ attempts: 1, interrupted: 1 });

    expect((await baton(['report', w.score, '--out', out], { cwd: w.dir })).code).toBe(0);
    const after = readFileSync(out, 'utf8');
    expect(after).toMatch(/<rect class="a-interrupted" data-attempt="1"/);
    expect(after).toMatch(/<rect class="a-success" data-attempt="2"/);
  }, 60_000);
});
