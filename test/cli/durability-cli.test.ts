/**
 * The checkpoint as a user of `baton` meets it: run, resume and status in separate
 * processes, interrupted by SIGINT or SIGKILL, and checkpoints that are missing, damaged,
 * someone else's or in use. Waits poll for outcomes (a line a sheet wrote, a state in
 * `status --json`); nothing asserts on timing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/index.js';
import { killLeftovers, readLines, statusJson, waitForLine, type StatusDocument } from '../durability/baton-process.js';
import { groupExists } from '../integration/helpers.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { baton, startBaton, type BatonProcess } from './run-cli.js';

const NO_STACK = /\n\s+at /;

interface Workspace {
  dir: string;
  score: string;
  log: string;
  db: string;
  ws: string;
  /** Writes (or rewrites) score.yaml: `sheets` is the YAML of the `sheets:` list; `instruments` adds some beside `sh`. */
  write(sheets: string, instruments?: string): void;
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

function workspace(): Workspace {
  const dir = makeTempDir('baton-durability-cli-');
  const ws = join(dir, 'ws');
  const w: Workspace = {
    dir,
    score: join(dir, 'score.yaml'),
    log: join(dir, 'log'),
    ws,
    db: join(ws, 'baton.db'),
    write(sheets, instruments = '') {
      writeFileSync(
        this.score,
        `version: 1\nname: durable\nworkspace: ws\nconcurrency: 4\ninstruments:\n  sh: { kind: command, command: [bash, -c] }\n${instruments}` +
          `defaults:\n  instrument: sh\n  retries: 0\nsheets:\n${sheets}`,
      );
    },
  };
  workspaces.push(w);
  return w;
}

function start(args: string[], w: Workspace): BatonProcess {
  const proc = startBaton(args, { cwd: w.dir });
  processes.push(proc);
  return proc;
}

/** A sheet that logs `<id> <pid>` (its process group) and then does `rest`. */
function sheet(w: Workspace, id: string, rest = 'true', more = ''): string {
  return `  - { id: ${id}, args: ['echo "{{sheet.id}} $$" >> ${w.log}; ${rest}']${more} }\n`;
}

const slowOnceMark = (w: Workspace): string => join(w.dir, 'slept');

/** Sleeps 30 s the first time any sheet of the workspace runs it, then never again. */
function slowOnce(w: Workspace): string {
  const mark = slowOnceMark(w);
  return `if [ ! -e ${mark} ]; then touch ${mark}; sleep 30; fi`;
}

const ran = (w: Workspace, id: string): number => readLines(w.log).filter((line) => line.split(' ')[0] === id).length;
const pidOf = (w: Workspace, id: string): number => Number(readLines(w.log).find((line) => line.split(' ')[0] === id)!.split(' ')[1]);

async function status(w: Workspace): Promise<StatusDocument> {
  const { exit, status: doc } = await statusJson(w.score, { cwd: w.dir });
  expect(exit.stderr).toBe('');
  expect(exit.code).toBe(0);
  return doc!;
}

function states(doc: StatusDocument): Record<string, string> {
  return Object.fromEntries(doc.sheets.map((s) => [s.id, s.state]));
}

function jobIdIn(path: string): string | undefined {
  const store = SqliteStore.open(path, { readonly: true });
  try {
    return store.loadJob()?.jobId;
  } finally {
    store.close();
  }
}

/** Earlier runs' folders: `<workspace>/runs/<started>/`. */
const archives = (w: Workspace): string[] => (existsSync(join(w.ws, 'runs')) ? readdirSync(join(w.ws, 'runs')) : []);

/** Starts `baton run` on a score whose sheet `slow` sleeps; resolves once `slow` is running. */
async function runUntilSlow(w: Workspace): Promise<BatonProcess> {
  const proc = start(['run', w.score, '--quiet'], w);
  await Promise.race([
    waitForLine(w.log, (line) => line.startsWith('slow ')),
    proc.exited.then((exit) => {
      throw new Error(`baton run ended early: ${exit.code} ${exit.stderr}`);
    }),
  ]);
  // A sheet logs its line before it runs its command: stopped in between, a slowOnce sheet
  // would not have marked its first run yet, and would sleep its 30 s again on the resume.
  const mark = slowOnceMark(w);
  if (readFileSync(w.score, 'utf8').includes(mark)) await waitFor(() => (existsSync(mark) ? true : undefined), { pollMs: 20 });
  return proc;
}

describe('baton run and the checkpoint it finds', () => {
  it('archives the checkpoint of a finished run in runs/<started>/ and starts afresh', async () => {
    const w = workspace();
    w.write(sheet(w, 'a') + sheet(w, 'b', 'true', ', depends_on: [a]'));
    expect((await baton(['run', w.score, '--quiet'], { cwd: w.dir })).code).toBe(0);
    const first = await status(w);
    expect(first.outcome).toBe('completed');

    const again = await baton(['run', w.score, '--quiet'], { cwd: w.dir });
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    const second = await status(w);
    expect(second.jobId).not.toBe(first.jobId);
    expect(states(second)).toEqual({ a: 'completed', b: 'completed' });
    expect(ran(w, 'a')).toBe(2);
    const [archive, ...more] = archives(w);
    expect(more).toEqual([]);
    expect(jobIdIn(join(w.ws, 'runs', archive!, 'baton.db'))).toBe(first.jobId);
  });

  it('refuses to replace an unfinished run: exit 2, naming the file and `baton resume`', async () => {
    const w = workspace();
    w.write(sheet(w, 'a') + sheet(w, 'slow', 'sleep 30', ', depends_on: [a]'));
    const running = await runUntilSlow(w);
    running.child.kill('SIGKILL');
    await running.exited;
    killLeftovers(w.log);
    const before = await status(w);

    const r = await baton(['run', w.score, '--quiet'], { cwd: w.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(w.db);
    expect(r.stderr).toContain(`baton resume ${w.score}`);
    expect(r.stderr).not.toMatch(NO_STACK);
    expect(archives(w)).toEqual([]);
    expect((await status(w)).jobId).toBe(before.jobId);
    expect(ran(w, 'a')).toBe(1);
  });
});

describe('a checkpoint that is missing, damaged or foreign', () => {
  it('resume without a checkpoint: exit 2, the file named, nothing created', async () => {
    const w = workspace();
    w.write(sheet(w, 'a'));
    const r = await baton(['resume', w.score], { cwd: w.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(w.db);
    expect(r.stderr).toMatch(/baton run/);
    expect(r.stderr).not.toMatch(NO_STACK);
    expect(existsSync(w.db)).toBe(false);
    expect(existsSync(w.log)).toBe(false);
  });

  it('status without a checkpoint: exit 2, the file named', async () => {
    const w = workspace();
    w.write(sheet(w, 'a'));
    const r = await baton(['status', w.score], { cwd: w.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(w.db);
    expect(r.stderr).not.toMatch(NO_STACK);
  });

  it.each(['run', 'resume', 'status'])('%s on a text file as baton.db: exit 2, the file named and left as it was', async (command) => {
    const w = workspace();
    w.write(sheet(w, 'a'));
    const text = 'my notes, not a database\n'.repeat(50);
    rmSync(w.ws, { recursive: true, force: true });
    mkdirSync(w.ws);
    writeFileSync(w.db, text);
    const r = await baton([command, w.score], { cwd: w.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(w.db);
    expect(r.stderr).toMatch(/not a readable baton checkpoint/);
    expect(r.stderr).toMatch(/move it aside/);
    expect(r.stderr).not.toMatch(NO_STACK);
    expect(readFileSync(w.db, 'utf8')).toBe(text);
    expect(readdirSync(w.ws)).toEqual(['baton.db']);
    expect(existsSync(w.log)).toBe(false);
  });

  it.each(['run', 'resume', 'status'])('%s on another program’s SQLite file: exit 2, the file named and untouched', async (command) => {
    const w = workspace();
    w.write(sheet(w, 'a'));
    mkdirSync(w.ws);
    const db = new Database(w.db);
    db.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')");
    db.close();
    const bytes = readFileSync(w.db);
    const r = await baton([command, w.score], { cwd: w.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(w.db);
    expect(r.stderr).toMatch(/not a baton checkpoint/);
    expect(r.stderr).not.toMatch(NO_STACK);
    expect(readFileSync(w.db).equals(bytes)).toBe(true);
    expect(existsSync(w.log)).toBe(false);
  });
});

describe('baton status beside a run', () => {
  it('shows the running process, every sheet, errors and cost while it runs, and "not running" once it was killed', async () => {
    const w = workspace();
    writeFileSync(join(w.dir, 'tasks.mjs'), 'export default async () => ({ ok: true, cost_usd: 0.25 });\n');
    w.write(
      `  - { id: paid, instrument: js }\n` +
        sheet(w, 'bad', 'echo "no such thing" >&2; exit 3') +
        sheet(w, 'slow', 'sleep 30', ', depends_on: [paid]') +
        `  - { id: after, depends_on: [slow], args: ['true'] }\n`,
      '  js: { kind: function, module: ./tasks.mjs }\n',
    );
    const running = await runUntilSlow(w);

    const live = await waitFor(
      async () => {
        const doc = await status(w);
        return doc.sheets.find((s) => s.id === 'bad')?.state === 'failed' && states(doc).slow === 'running' ? doc : undefined;
      },
      { pollMs: 20 },
    );
    expect(live.running?.pid).toBe(running.pid);
    expect(states(live)).toEqual({ paid: 'completed', bad: 'failed', slow: 'running', after: 'pending' });
    expect(live.sheets.find((s) => s.id === 'bad')).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/\S/) });
    expect(live.sheets.find((s) => s.id === 'paid')).toMatchObject({ attempts: 1, costUsd: 0.25 });
    expect(live.costUsd).toBe(0.25);

    const text = await baton(['status', w.score], { cwd: w.dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`running in process ${running.pid}`);
    expect(text.stdout).toMatch(/^\s+paid\s+completed\s+attempts\s+1\s+\$0\.2500/m);
    expect(text.stdout).toMatch(/^\s+bad\s+failed\s+attempts\s+1\s+\S/m);
    expect(text.stdout).toMatch(/^\s+slow\s+running\s+attempts\s+1/m);
    expect(text.stdout).toMatch(/^\s+after\s+pending/m);

    running.child.kill('SIGKILL');
    await running.exited;
    killLeftovers(w.log);
    const dead = await status(w);
    expect(dead.running).toBeNull();
    expect(states(dead)).toEqual(states(live));
    expect(dead.costUsd).toBe(0.25);
    const after = await baton(['status', w.score], { cwd: w.dir });
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/not running/);
    expect(after.stdout).not.toContain(`running in process`);
    expect(after.stdout).toMatch(/^\s+slow\s+running/m);
  });
});

describe('one job, one process', () => {
  it('a second resume while the job runs: exit 2, naming the process that runs it', async () => {
    const w = workspace();
    w.write(sheet(w, 'a') + sheet(w, 'slow', 'sleep 30', ', depends_on: [a]'));
    const running = await runUntilSlow(w);

    const second = await baton(['resume', w.score, '--quiet'], { cwd: w.dir });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`already running in process ${running.pid}`);
    expect(second.stderr).toContain(w.db);
    expect(second.stderr).not.toMatch(NO_STACK);
    // The second process changed nothing: the first still holds the job and its attempt.
    const doc = await status(w);
    expect(doc.running?.pid).toBe(running.pid);
    expect(ran(w, 'slow')).toBe(1);
    expect(groupExists(pidOf(w, 'slow'))).toBe(true);

    running.child.kill('SIGTERM');
    expect((await running.exited).code).toBe(130);
  });

  it('a second run while the job runs: exit 2, and the running job’s checkpoint is kept', async () => {
    const w = workspace();
    w.write(sheet(w, 'a') + sheet(w, 'slow', 'sleep 30', ', depends_on: [a]'));
    const running = await runUntilSlow(w);
    const before = await status(w);

    const second = await baton(['run', w.score, '--quiet'], { cwd: w.dir });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(w.db);
    expect(second.stderr).not.toMatch(NO_STACK);
    expect(archives(w)).toEqual([]);
    expect((await status(w)).jobId).toBe(before.jobId);
    expect(ran(w, 'a')).toBe(1);

    running.child.kill('SIGTERM');
    expect((await running.exited).code).toBe(130);
  });

  it('a second run while the job runs names the process that runs it', async () => {
    const w = workspace();
    w.write(sheet(w, 'a') + sheet(w, 'slow', 'sleep 30', ', depends_on: [a]'));
    const running = await runUntilSlow(w);
    try {
      const second = await baton(['run', w.score, '--quiet'], { cwd: w.dir });
      expect(second.code).toBe(2);
      expect(second.stderr).toContain(`already running in process ${running.pid}`);
    } finally {
      running.child.kill('SIGTERM');
      await running.exited;
    }
  });
});

describe('resume after the score changed', () => {
  it('refuses a sheet whose dependencies changed, naming it; --force continues', async () => {
    const w = workspace();
    const sheets = (cDeps: string) =>
      sheet(w, 'a') + sheet(w, 'slow', slowOnce(w), ', depends_on: [a]') + sheet(w, 'c', 'true', `, depends_on: [${cDeps}]`);
    w.write(sheets('slow'));
    const running = await runUntilSlow(w);
    running.child.kill('SIGINT');
    expect((await running.exited).code).toBe(130);
    const before = await status(w);

    w.write(sheets('a'));
    const refused = await baton(['resume', w.score, '--quiet'], { cwd: w.dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('"c"');
    expect(refused.stderr).toMatch(/dependencies/);
    expect(refused.stderr).toContain('--force');
    expect(refused.stderr).toContain(w.db);
    expect(refused.stderr).not.toMatch(NO_STACK);
    const unchanged = await status(w);
    expect(unchanged.sheets).toEqual(before.sheets);
    expect(unchanged.running).toBeNull();

    const forced = await baton(['resume', w.score, '--quiet', '--force'], { cwd: w.dir });
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    expect(states(await status(w))).toEqual({ a: 'completed', slow: 'completed', c: 'completed' });
    expect(ran(w, 'a')).toBe(1);
  });

  it('refuses a score that lost a sheet, naming it', async () => {
    const w = workspace();
    w.write(sheet(w, 'a') + sheet(w, 'slow', slowOnce(w), ', depends_on: [a]') + sheet(w, 'gone', 'true'));
    const running = await runUntilSlow(w);
    running.child.kill('SIGINT');
    expect((await running.exited).code).toBe(130);

    w.write(sheet(w, 'a') + sheet(w, 'slow', slowOnce(w), ', depends_on: [a]'));
    const refused = await baton(['resume', w.score, '--quiet'], { cwd: w.dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('"gone"');
    expect(refused.stderr).not.toMatch(NO_STACK);
  });
});

describe('stopping with Ctrl-C', () => {
  it('exits 130 saying how to resume; the resume completes without re-running completed sheets', async () => {
    const w = workspace();
    w.write(
      `  - { id: first, fan_out: 3, args: ['echo "{{sheet.id}} $$" >> ${w.log}'] }\n` +
        sheet(w, 'slow', slowOnce(w), ', depends_on: [first]') +
        sheet(w, 'last', 'true', ', depends_on: [slow]'),
    );
    const running = await runUntilSlow(w);
    const slowGroup = pidOf(w, 'slow');
    running.child.kill('SIGINT');
    const stopped = await running.exited;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain(`baton resume ${w.score}`);
    expect(stopped.stderr).not.toMatch(NO_STACK);
    // The running attempt was stopped with it.
    await waitFor(() => (groupExists(slowGroup) ? undefined : true), { pollMs: 20 });

    const paused = await status(w);
    expect(paused.running).toBeNull();
    expect(paused.sheets.filter((s) => s.state === 'completed').map((s) => s.id).sort()).toEqual(['first.1', 'first.2', 'first.3']);

    const resumed = await baton(['resume', w.score, '--quiet'], { cwd: w.dir });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const done = await status(w);
    expect(done.outcome).toBe('completed');
    expect(done.sheets.every((s) => s.state === 'completed')).toBe(true);
    for (const id of ['first.1', 'first.2', 'first.3', 'last']) expect(ran(w, id)).toBe(1);
    expect(ran(w, 'slow')).toBe(2);
    // The run Ctrl-C cut short used none of its attempts.
    expect(done.sheets.find((s) => s.id === 'slow')).toMatchObject({ attempts: 1, interrupted: 1 });
  });
});
