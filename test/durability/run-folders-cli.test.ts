/**
 * Each `baton run` has folders of its own: the current run in `<workspace>/baton.db` and
 * `<workspace>/sheets/`, earlier ones moved whole to `<workspace>/runs/<started>/`, the last
 * five kept. Through the built CLI, on real files.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/index.js';
import { baton } from '../cli/run-cli.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';

interface Workspace {
  dir: string;
  score: string;
  ws: string;
  runs: string;
}

const workspaces: Workspace[] = [];
afterEach(() => {
  for (const w of workspaces.splice(0)) removeDir(w.dir);
});

/**
 * `a` prints which run of the workspace this is (a counter file), failing its first attempt
 * in the first run only; `b` copies `a`'s output through `{{deps.a.output_file}}`.
 */
function workspace(): Workspace {
  const dir = makeTempDir('baton-run-folders-');
  const counter = join(dir, 'counter');
  const a =
    `n=$(( $(cat ${counter} 2>/dev/null || echo 0) + 1 )); ` +
    `if [ "$n" = 1 ] && [ "$BATON_ATTEMPT" = 1 ]; then echo first-try; exit 1; fi; ` +
    `echo "$n" > ${counter}; echo "run $n"`;
  writeFileSync(
    join(dir, 'score.yaml'),
    `version: 1\nname: folders\nworkspace: ws\ninstruments:\n  sh: { kind: command, command: [bash, -c] }\n` +
      `defaults:\n  instrument: sh\n  retries: 1\n  backoff: { initial: 10ms, jitter: 0 }\nsheets:\n` +
      `  - { id: a, args: ['${a}'] }\n` +
      `  - { id: b, depends_on: [a], args: ['cat "{{deps.a.output_file}}"; echo "$BATON_WORKSPACE"'] }\n`,
  );
  const ws = join(dir, 'ws');
  const w = { dir, score: join(dir, 'score.yaml'), ws, runs: join(ws, 'runs') };
  workspaces.push(w);
  return w;
}

async function run(w: Workspace, quiet = true) {
  const r = await baton(['run', w.score, ...(quiet ? ['--quiet'] : [])], { cwd: w.dir });
  expect(r.code).toBe(0);
  return r;
}

function jobOf(path: string): { jobId: string; createdAt: number } {
  const store = SqliteStore.open(path, { readonly: true });
  try {
    const job = store.loadJob()!;
    return { jobId: job.jobId, createdAt: job.createdAt };
  } finally {
    store.close();
  }
}

const list = (path: string): string[] => (existsSync(path) ? readdirSync(path).sort() : []);
const read = (path: string): string => readFileSync(path, 'utf8');
const stamp = (at: number): string => new Date(at).toISOString().replace(/[:.]/g, '-');

describe('the folders of each run', () => {
  it('a new run moves the finished one, checkpoint and outputs, to runs/<started>/ and says where', async () => {
    const w = workspace();
    await run(w);
    const first = jobOf(join(w.ws, 'baton.db'));
    expect(list(join(w.ws, 'sheets', 'a'))).toEqual(['1.stderr', '1.stdout', '2.stderr', '2.stdout']);

    const second = await run(w, false);
    const folder = join(w.runs, stamp(first.createdAt));
    expect(second.stderr).toContain(`baton: the previous run is kept in ${folder} (the last 5 runs are kept)`);
    expect(list(w.runs)).toEqual([stamp(first.createdAt)]);
    expect(jobOf(join(folder, 'baton.db')).jobId).toBe(first.jobId);
    expect(list(join(folder, 'sheets', 'a'))).toEqual(['1.stderr', '1.stdout', '2.stderr', '2.stdout']);
    expect(read(join(folder, 'sheets', 'a', '2.stdout'))).toBe('run 1\n');

    // The current run's folder holds its own outputs only, numbered as its status counts them.
    expect(list(join(w.ws, 'sheets', 'a'))).toEqual(['1.stderr', '1.stdout']);
    expect(read(join(w.ws, 'sheets', 'a', '1.stdout'))).toBe('run 2\n');
    const status = JSON.parse((await baton(['status', w.score, '--json'], { cwd: w.dir })).stdout) as {
      jobId: string;
      sheets: Array<{ id: string; attempts: number }>;
    };
    expect(status.jobId).not.toBe(first.jobId);
    expect(status.sheets.find((s) => s.id === 'a')?.attempts).toBe(1);
    // Templates and BATON_* name the current run's files.
    expect(read(join(w.ws, 'sheets', 'b', '1.stdout'))).toBe(`run 2\n${w.ws}\n`);
  }, 60_000);

  it('a finished run leaves no -wal or -shm file, current or archived', async () => {
    const w = workspace();
    await run(w);
    expect(list(w.ws)).toEqual(['baton.db', 'sheets']);
    await run(w);
    expect(list(w.ws)).toEqual(['baton.db', 'runs', 'sheets']);
    expect(list(join(w.runs, list(w.runs)[0]!))).toEqual(['baton.db', 'sheets']);
  }, 60_000);

  it('keeps the last five earlier runs and deletes older ones', async () => {
    const w = workspace();
    const started: number[] = [];
    for (let i = 0; i < 7; i++) {
      await run(w);
      started.push(jobOf(join(w.ws, 'baton.db')).createdAt);
    }
    // Seven runs: the current one, and the five before it archived; the first is gone.
    expect(list(w.runs)).toEqual(started.slice(1, 6).map(stamp));
    expect(read(join(w.runs, stamp(started[1]!), 'sheets', 'a', '1.stdout'))).toBe('run 2\n');
  }, 120_000);

  it('completes an archive a crash cut short into the same folder: the outputs moved, the checkpoint not yet', async () => {
    const w = workspace();
    await run(w);
    const first = jobOf(join(w.ws, 'baton.db'));
    // What a crash between the two renames leaves.
    const folder = join(w.runs, stamp(first.createdAt));
    mkdirSync(folder, { recursive: true });
    renameSync(join(w.ws, 'sheets'), join(folder, 'sheets'));

    await run(w);
    expect(list(w.runs)).toEqual([stamp(first.createdAt)]);
    expect(list(folder)).toEqual(['baton.db', 'sheets']);
    expect(jobOf(join(folder, 'baton.db')).jobId).toBe(first.jobId);
    expect(read(join(folder, 'sheets', 'a', '2.stdout'))).toBe('run 1\n');
    expect(list(join(w.ws, 'sheets', 'a'))).toEqual(['1.stderr', '1.stdout']);
  }, 60_000);

  it('keeps outputs whose checkpoint was moved aside in a folder of their own, apart from the new run', async () => {
    const w = workspace();
    await run(w);
    renameSync(join(w.ws, 'baton.db'), join(w.dir, 'aside.db'));

    await run(w);
    const [stray, ...more] = list(w.runs);
    expect(more).toEqual([]);
    expect(list(join(w.runs, stray!))).toEqual(['sheets']);
    expect(read(join(w.runs, stray!, 'sheets', 'a', '2.stdout'))).toBe('run 1\n');
    expect(list(join(w.ws, 'sheets', 'a'))).toEqual(['1.stderr', '1.stdout']);
  }, 60_000);

  it('a resume continues the same run in the same folders', async () => {
    const w = workspace();
    await run(w);
    // Resuming the run moves nothing: it and its outputs stay where they are.
    const r = await baton(['resume', w.score, '--quiet'], { cwd: w.dir });
    expect(r.code).toBe(0);
    expect(list(w.runs)).toEqual([]);
    expect(list(join(w.ws, 'sheets', 'a'))).toEqual(['1.stderr', '1.stdout', '2.stderr', '2.stdout']);
  }, 60_000);
});
