/**
 * `baton … | head`: a reader that closes its end of the pipe early. The pipe is real; the
 * test reads a little and destroys its end, so every later write of baton fails with
 * EPIPE. A run must still go to its end; a read-only command must end quietly.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { statusJson } from '../durability/baton-process.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { baton, startBaton } from './run-cli.js';

const NO_STACK = /\n\s+at /;
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

/** Writes a score into a fresh folder; `sheets` is the YAML of its `sheets:` list, given that folder. */
function scoreIn(sheets: (dir: string) => string): { dir: string; score: string } {
  const dir = makeTempDir('baton-closed-output-');
  dirs.push(dir);
  const score = join(dir, 'score.yaml');
  writeFileSync(
    score,
    `version: 1\nname: piped\nworkspace: ws\ninstruments:\n  sh: { kind: command, command: [bash, -c] }\ndefaults: { instrument: sh, retries: 0 }\nsheets:\n${sheets(dir)}`,
  );
  return { dir, score };
}

/** Closes the reading end once the first bytes arrived, as `head -1` does. */
function closeAfterFirstData(stream: Readable, then: () => void = () => undefined): void {
  stream.once('data', () => {
    stream.destroy();
    then();
  });
}

describe('a closed output pipe', () => {
  it('does not stop a run: the job goes to its end, its exit status and a finished checkpoint', async () => {
    const { dir, score } = scoreIn(
      // `first` waits for the test to close the pipes, so that everything after it is written to a closed pipe.
      (dir) =>
        `  - { id: first, args: ["while [ ! -e ${dir}/go ]; do sleep 0.02; done"] }\n` +
        `  - { id: second, depends_on: [first], args: ["true"] }\n` +
        `  - { id: third, depends_on: [second], args: ["true"] }\n`,
    );
    const proc = startBaton(['run', score]);
    closeAfterFirstData(proc.child.stderr!, () => {
      proc.child.stdout!.destroy();
      writeFileSync(join(dir, 'go'), '');
    });
    const exit = await proc.exited;
    expect(existsSync(join(dir, 'go'))).toBe(true);
    expect(exit.code).toBe(0);
    const { status } = await statusJson(score);
    expect(status?.state).toBe('completed');
    expect(status?.outcome).toBe('completed');
    expect(status?.running).toBeNull();
    expect(status?.sheets.map((s) => s.state)).toEqual(['completed', 'completed', 'completed']);
  });

  it('lets `baton status | head` end quietly, without a stack trace', async () => {
    // Enough sheets that the status is far longer than what a pipe buffers.
    const { score } = scoreIn(() => `  - { id: root, args: ["exit 1"] }\n  - { id: leaf, depends_on: [root], fan_out: 5000, args: ["true"] }\n`);
    expect((await baton(['run', score, '--quiet'])).code).toBe(1);
    const proc = startBaton(['status', score]);
    closeAfterFirstData(proc.child.stdout!);
    const exit = await proc.exited;
    expect(exit.stderr).not.toMatch(NO_STACK);
    expect(exit.stderr).toBe('');
    expect(exit.code).toBe(0);
  });
});
