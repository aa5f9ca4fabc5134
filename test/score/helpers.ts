import { expect } from 'vitest';
import { parseScore, ScoreError, type Score, type ScoreProblem } from '../../src/index.js';
import { thrownBy } from '../support/thrown.js';

export const BASE_DIR = '/scores/project';

/** Parses YAML text as a score in BASE_DIR. */
export function parse(text: string): Score {
  return parseScore(text, { baseDir: BASE_DIR });
}

/** A score with one `sh` command instrument and the given sheets (YAML, indented as a list). */
export function withSheets(sheets: string, extra = ''): string {
  return `version: 1
name: test
instruments:
  sh: { kind: command, command: [bash, -c] }
${extra}
sheets:
${sheets}`;
}

/** The problems `run` throws as a ScoreError; fails the test if it throws nothing else. */
export function problemsOf(run: () => unknown): ScoreProblem[] {
  const error = thrownBy(ScoreError, run, 'expected a ScoreError, but the score was accepted');
  expect(error.message).toBe(error.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  expect(error.message).not.toMatch(/\n\s+at /);
  return error.problems;
}

/** Asserts that the score text yields exactly one problem, at `path`, and returns its message. */
export function singleProblem(text: string, path: string): string {
  const problems = problemsOf(() => parse(text));
  expect(problems, JSON.stringify(problems)).toHaveLength(1);
  expect(problems[0]!.path).toBe(path);
  return problems[0]!.message;
}
