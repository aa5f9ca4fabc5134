/**
 * README.md, "The command": the command table and the sentences under it, checked against
 * what the built `baton` says of itself (`--help`) and does.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { baton, CLI } from '../cli/run-cli.js';
import { flat, readmeSection } from './readme.js';

const section = readmeSection('The command');

interface Row {
  command: string;
  flags: string[];
  statuses: string;
}

/** The table's rows: the command word, the flags its cell lists, and its exit-status cell. */
function tableRows(): Row[] {
  return [...section.matchAll(/^\| `baton ([a-z]+)([^`]*)` \| (.*) \|$/gm)].map((m) => ({
    command: m[1]!,
    flags: [...m[2]!.matchAll(/--[a-z-]+/g)].map((f) => f[0]),
    statuses: m[3]!,
  }));
}

const helps = new Map<string, Promise<{ code: number | null; stdout: string }>>();

/** `baton <command> --help`, run once per command. */
function helpOf(command: string): Promise<{ code: number | null; stdout: string }> {
  if (!helps.has(command)) helps.set(command, baton([command, '--help']));
  return helps.get(command)!;
}

/** The long flags `baton <command> --help` lists, with the values a flag's `(choices: …)` allows. */
async function helpOptions(command: string): Promise<{ usage: string; flags: Map<string, string[]> }> {
  const help = await helpOf(command);
  expect(help.code).toBe(0);
  const options = help.stdout.slice(help.stdout.indexOf('\nOptions:\n'), help.stdout.indexOf('\n\n', help.stdout.indexOf('\nOptions:\n') + 1));
  const flags = new Map<string, string[]>();
  for (const m of options.matchAll(/^ {2}(?:-[A-Za-z], )?(--[a-z-]+)(?:[^\n]*\n(?: {4,}[^\n]*\n)*)/gm)) {
    const choices = /\(choices: ([^,)]*(?:, "[^"]*")*)/.exec(m[0].replace(/\n\s+/g, ' '))?.[1];
    flags.set(m[1]!, choices === undefined ? [] : [...choices.matchAll(/"([^"]+)"/g)].map((c) => c[1]!));
  }
  return { usage: /^Usage: (.*)$/m.exec(help.stdout)![1]!, flags };
}

/** The flags the sentence under the table covers for every command that reads a score. */
const DEFAULTS_FLAGS = ['--defaults', '--no-defaults'];

describe('README "The command"', () => {
  it('the table lists every command of `baton --help`, and no other', async () => {
    const help = await helpOf('--help');
    const commands = [...help.stdout.slice(help.stdout.indexOf('\nCommands:\n')).matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(tableRows().map((row) => row.command).sort()).toEqual(commands.sort());
  });

  it("each row lists exactly the flags of that command's --help, --defaults and --no-defaults aside", async () => {
    for (const row of tableRows()) {
      const { flags } = await helpOptions(row.command);
      const listed = [...flags.keys()].filter((flag) => flag !== '--help' && !DEFAULTS_FLAGS.includes(flag));
      expect(row.flags.sort(), `baton ${row.command}`).toEqual(listed.sort());
    }
  });

  it("`baton machines [--format json|mermaid] [--machine sheet|conductor|breaker|all]` names every value --help allows", async () => {
    const { flags } = await helpOptions('machines');
    expect(section).toContain(`\`baton machines [--format ${flags.get('--format')!.join('\\|')}] [--machine ${flags.get('--machine')!.join('\\|')}]\``);
  });

  it('every command that reads a score takes `--defaults FILE` (or `$BATON_DEFAULTS`; `--no-defaults` for none)', async () => {
    expect(flat(section)).toContain('Every command that reads a score takes `--defaults FILE` (or `$BATON_DEFAULTS`; `--no-defaults` for none)');
    for (const row of tableRows()) {
      const { usage, flags } = await helpOptions(row.command);
      const readsScore = usage.includes('<score>');
      for (const flag of DEFAULTS_FLAGS) expect(flags.has(flag), `baton ${row.command} ${flag}`).toBe(readsScore);
    }
  });

  it('`baton --help` lists these exit statuses: run, resume and inspect exit as the table says for run, the others 0 or 2', async () => {
    const help = (await helpOf('--help')).stdout;
    const listed = [...help.slice(help.indexOf('Exit status of run, resume and inspect:')).matchAll(/^ {2}(\d+) /gm)].map((m) => Number(m[1]));
    expect(help).toMatch(/^Exit status of run, resume and inspect:$/m);
    expect(help).toContain('Other commands exit 0 when done and 2 on invalid input or a missing checkpoint.');
    const rows = new Map(tableRows().map((row) => [row.command, row.statuses]));
    const statuses = (cell: string): number[] => [...cell.matchAll(/(?:^|· )(\d+)/g)].map((m) => Number(m[1]));
    expect(statuses(rows.get('run')!)).toEqual(listed);
    expect(rows.get('resume')).toMatch(/^as `run`/);
    expect(rows.get('inspect')).toBe('as `run`');
    for (const [command, cell] of rows) {
      if (['run', 'resume', 'inspect'].includes(command)) continue;
      expect(statuses(cell).every((status) => status === 0 || status === 2), `baton ${command}: ${cell}`).toBe(true);
    }
  });
});

describe('README "The command", what baton does', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) removeDir(dir);
  });

  function scoreIn(workspace: string): string {
    const dir = makeTempDir('baton-readme-command-');
    dirs.push(dir);
    const path = join(dir, 'score.yaml');
    writeFileSync(path, `version: 1\nname: cmd\nworkspace: ${workspace}\ninstruments:\n  sh: { kind: command, command: [bash, -c] }\nsheets:\n  - { id: a, args: ["true"] }\n`);
    return path;
  }

  it('an unexpected error exits 1', async () => {
    // A disk that fails under baton: nothing a user did, so no message of baton's own names it.
    const path = scoreIn('broken-disk');
    const preload = join(path, '../failing-disk.mjs');
    writeFileSync(
      preload,
      [
        "import fs from 'node:fs';",
        "import { syncBuiltinESMExports } from 'node:module';",
        'const mkdirSync = fs.mkdirSync;',
        'fs.mkdirSync = (dir, options) => {',
        "  if (String(dir).endsWith('broken-disk')) throw Object.assign(new Error(`EIO: i/o error, mkdir '${dir}'`), { code: 'EIO' });",
        '  return mkdirSync(dir, options);',
        '};',
        'syncBuiltinESMExports();',
      ].join('\n'),
    );
    const r = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, ['--import', pathToFileURL(preload).href, CLI, 'run', path], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('close', (code) => done({ code, stderr }));
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^baton: EIO: i\/o error, mkdir .*broken-disk/m);
  });

  it('a workspace that a file is in the way of is a problem to fix: exit 2, saying so, the file untouched', async () => {
    const path = scoreIn('taken');
    writeFileSync(join(path, '../taken'), 'a file, not a folder\n');
    const r = await baton(['run', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`cannot make the workspace ${join(path, '../taken')} a folder: a file of that name is in the way (EEXIST)\n`);
    expect(readFileSync(join(path, '../taken'), 'utf8')).toBe('a file, not a folder\n');
  });

  it("`--json` prints every sheet's id, state, attempts, rate-limited and interrupted runs and duration at the end", async () => {
    expect(flat(section)).toContain("`--json` prints every sheet's id, state, attempts, rate-limited and interrupted runs and duration at the end");
    const r = await baton(['run', scoreIn('ws'), '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { sheets: Array<Record<string, unknown>> };
    expect(summary.sheets).toEqual([
      expect.objectContaining({ id: 'a', state: 'completed', attempts: 1, rateLimited: 0, interrupted: 0, durationMs: expect.any(Number) as unknown }),
    ]);
  });
});
