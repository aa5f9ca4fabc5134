import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { ScoreError, type ScoreProblem } from '../../src/index.js';

/** A fresh folder for files of one test. */
export function tmpFolder(): string {
  return mkdtempSync(path.join(tmpdir(), 'baton-defaults-'));
}

/** Writes `text` to `name` in `dir` and returns the file's absolute path. */
export function writeIn(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The problems of the ScoreError `run` throws (or rejects with); fails if it throws nothing else. */
export async function problemsOf(run: () => unknown): Promise<ScoreProblem[]> {
  try {
    await run();
  } catch (e) {
    expect(e).toBeInstanceOf(ScoreError);
    return (e as ScoreError).problems;
  }
  throw new Error('expected a ScoreError, but nothing was thrown');
}

/** A score (YAML) with one `sh` command instrument unless `instruments` says otherwise. */
export function score(sheets: string, extra = '', instruments = '  sh: { kind: command, command: [bash, -c] }'): string {
  return `version: 1\nname: t\n${extra}\ninstruments:\n${instruments}\nsheets:\n${sheets}\n`;
}
