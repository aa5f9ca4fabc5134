/**
 * What `baton` says about itself and how it words what it prints: the version, the exit
 * statuses in `--help`, counts and failures in plain English, file problems without
 * placeholders, and no colour under NO_COLOR.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runInTerminal } from '../support/pseudo-terminal.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { baton, CLI } from './run-cli.js';

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function score(sheets: string): string {
  const dir = makeTempDir('baton-words-');
  dirs.push(dir);
  const path = join(dir, 'score.yaml');
  writeFileSync(path, `version: 1\nname: words\nworkspace: ws\ninstruments:\n  sh: { kind: command, command: [bash, -c] }\ndefaults: { instrument: sh, retries: 0 }\nsheets:\n${sheets}`);
  return path;
}

const EXIT_ROWS = [/^ {2}0 +every sheet completed$/m, /^ {2}1 +a sheet failed/m, /^ {2}2 +invalid score/m, /^ {2}3 +held at a fermata/m, /^ {2}4 +paused: the budget is spent/m, /^ {2}130 +stopped by Ctrl-C/m];

describe('baton --version and --help', () => {
  it('prints the version of the package', async () => {
    const { version } = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await baton([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });

  it('lists every exit status with its meaning, in `baton --help` and `baton run --help`', async () => {
    for (const args of [['--help'], ['run', '--help'], ['resume', '--help']]) {
      const r = await baton(args);
      expect(r.code).toBe(0);
      for (const row of EXIT_ROWS) expect(r.stdout).toMatch(row);
    }
  });
});

describe('what baton prints, in English', () => {
  it('says a sheet failed once, not `failed (failed)`, in the progress lines and the summary', async () => {
    const r = await baton(['run', score(`  - { id: a, args: ["exit 3"] }\n  - { id: b, depends_on: [a], args: ["true"] }\n`)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\] a failed: exited with status 3\n/);
    expect(r.stdout).toContain('\n  a: failed: exited with status 3\n');
    expect(r.stdout + r.stderr).not.toContain('(failed');
  });

  it('counts one instrument and one sheet in the singular', async () => {
    const r = await baton(['validate', score(`  - { id: a, args: ["true"] }\n`)]);
    expect(r.stdout).toBe('words: valid (1 sheet, 1 instrument)\n');
  });

  it('says a score file is not found without a `<file>:` placeholder', async () => {
    const dir = makeTempDir('baton-words-');
    dirs.push(dir);
    for (const command of ['run', 'validate', 'status']) {
      const r = await baton([command, 'nope.yaml'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`score file not found: ${join(dir, 'nope.yaml')}\n`);
    }
  });

  it('names an empty score file, without a placeholder', async () => {
    const dir = makeTempDir('baton-words-');
    dirs.push(dir);
    writeFileSync(join(dir, 'empty.yaml'), '');
    const r = await baton(['validate', 'empty.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`the score file is empty: ${join(dir, 'empty.yaml')}\n`);
  });

  it('writes no colour codes under NO_COLOR, on a terminal, only the cursor moves of the live redraw', async () => {
    const path = score(`  - { id: a, args: ["sleep 0.5; exit 3"] }\n  - { id: b, args: ["sleep 0.5"] }\n`);
    const { code, output } = await runInTerminal([process.execPath, CLI, 'run', path], { env: { ...process.env, NO_COLOR: '1' } }).exited;
    expect(code).toBe(1);
    expect(output).toContain('words: failed');
    const sequences = new Set(output.match(/\x1b\[[0-9;]*[A-Za-z]/g) ?? []);
    expect(sequences.size).toBeGreaterThan(0);
    for (const sequence of sequences) expect(sequence).toMatch(/^\x1b\[(2K|\d+F)$/);
  });
});
