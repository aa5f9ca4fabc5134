import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ScoreError, type ScoreProblem } from '../../src/index.js';
import { rejectionOf } from '../support/thrown.js';

/** Writes `text` to `name` in `dir` and returns the file's absolute path. */
export function writeIn(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The problems of the ScoreError `run` throws (or rejects with); fails if it throws nothing else. */
export async function problemsOf(run: () => unknown): Promise<ScoreProblem[]> {
  return (await rejectionOf(ScoreError, run, 'expected a ScoreError, but nothing was thrown')).problems;
}

/** A score (YAML) with one `sh` command instrument unless `instruments` says otherwise. */
export function score(sheets: string, extra = '', instruments = '  sh: { kind: command, command: [bash, -c] }'): string {
  return `version: 1\nname: t\n${extra}\ninstruments:\n${instruments}\nsheets:\n${sheets}\n`;
}
