/**
 * `baton run` on a real terminal (a pseudo-terminal, see test/support/pseudo-terminal.ts):
 * the live display redraws in place, and what stays on the screen at the end is judged
 * by a small emulator of the sequences baton writes. Waits poll for what the terminal
 * shows; nothing asserts on timing.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runInTerminal } from '../support/pseudo-terminal.js';
import { finalScreen } from '../support/terminal-screen.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { CLI } from './run-cli.js';

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

/** Writes a score named `tty` into a fresh folder; `sheets` is the YAML of its `sheets:` list, given that folder. */
function score(sheets: string | ((dir: string) => string)): string {
  const dir = makeTempDir('baton-terminal-');
  dirs.push(dir);
  const path = join(dir, 'score.yaml');
  writeFileSync(
    path,
    `version: 1\nname: tty\nworkspace: ws\ninstruments:\n  sh: { kind: command, command: [bash, -c] }\ndefaults: { instrument: sh, retries: 0 }\n` +
      `sheets:\n${typeof sheets === 'string' ? sheets : sheets(dir)}`,
  );
  return path;
}

/** The sum of the counts in a header line of the live display (`tty  1.2s  pending 1 · running 2`). */
function countsIn(header: string): number {
  return [...header.matchAll(/ (\d+)(?= ·|$)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** The screen's lines that hold text. */
function shown(output: string): string[] {
  return finalScreen(output).filter((line) => line.trim() !== '');
}

describe('baton run on a terminal', () => {
  it('leaves the summary and the resume hint on the screen after Ctrl-C, below the last frame', async () => {
    const path = score(`  - { id: slow, args: ["sleep 60"] }\n  - { id: after, depends_on: [slow], args: ["true"] }\n`);
    const run = runInTerminal([process.execPath, CLI, 'run', path]);
    await waitFor(() => (run.output().includes('▸ slow') ? true : undefined), { pollMs: 20 });
    run.type('\x03');
    const { code, output } = await run.exited;
    expect(code).toBe(130);
    const lines = shown(output);
    const screen = lines.join('\n');
    // The last frame, then (past the terminal's `^C`) the hint and the summary, untouched by any redraw.
    expect(lines.at(-2), screen).toBe(`baton: stopping; continue later with \`baton resume ${path}\``);
    expect(lines.at(-1), screen).toMatch(/^tty: interrupted in \d+\.\ds — 0 completed, 0 failed, 0 skipped$/);
    // The terminal's echo of Ctrl-C, if it echoes, sits between the frame and the hint.
    const frame = lines.slice(0, -2).filter((line) => line !== '^C');
    expect(frame.at(-2), screen).toMatch(/^tty {2}\d+\.\ds {2}/);
    expect(frame.at(-1), screen).toMatch(/^ {2}▸ slow \(attempt 1, \d+\.\ds\)$/);
  });

  it('counts every sheet in every frame, and drops a failure line once its sheet completed', async () => {
    const path = score(
      // Both wait for the test (file `go`), so that frames are drawn while they run and after flaky's failure.
      (dir) =>
        `  - { id: flaky, retries: 1, backoff: { initial: 50ms }, args: ["if [ {{sheet.attempt}} = 1 ]; then exit 1; fi; while [ ! -e ${dir}/go ]; do sleep 0.02; done"] }\n` +
        `  - { id: gate, args: ["while [ ! -e ${dir}/go ]; do sleep 0.02; done"] }\n` +
        `  - { id: last, depends_on: [flaky, gate], args: ["true"] }\n`,
    );
    const run = runInTerminal([process.execPath, CLI, 'run', path]);
    await waitFor(() => (run.output().includes('▸ gate') && run.output().includes('! flaky attempt 1 failed') ? true : undefined), { pollMs: 20 });
    writeFileSync(join(dirname(path), 'go'), '');
    const { code, output } = await run.exited;
    expect(code).toBe(0);
    const headers = [...output.matchAll(/\x1b\[2K(tty {2}\d+\.\ds {2}.*?)\r?\n/g)].map((m) => m[1]!);
    expect(headers.length).toBeGreaterThan(1);
    for (const header of headers) expect(countsIn(header), header).toBe(3);
    const frame = shown(output).filter((line) => !line.startsWith('tty: '));
    expect(frame, frame.join('\n')).toEqual([expect.stringMatching(/^tty {2}\d+\.\ds {2}completed 3$/)]);
  });
});
