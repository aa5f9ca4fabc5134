import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineScore } from '../../src/index.js';
import { parse, problemsOf } from './helpers.js';

/** Six problems of different kinds: three the schema finds, three only the whole score shows. */
const SIX_PROBLEMS = readFileSync(join(import.meta.dirname, '../fixtures/six-problems.yaml'), 'utf8');

describe('a score with problems of several kinds', () => {
  it('reports every one of them in one pass: the schema problems and the whole-score checks', () => {
    const problems = problemsOf(() => parse(SIX_PROBLEMS));
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'instruments.sh.concurrency: must be at least 1',
      'sheets[0].fan_out: must be at least 1',
      'sheets[1].retries: expected a number, got the string "three"',
      'sheets[2].depends_on[0]: unknown sheet "fetchh"',
      'sheets: dependency cycle: c → d → c',
      expect.stringMatching(/^sheets\[1\]\.args\[0\]: unknown template name "nope"/),
    ]);
  });

  it('does not report what follows from a refused part: members of a bad fan-out, sheets of a bad instrument', () => {
    const text = `version: 1
name: consequences
instruments:
  sh: { kind: docker }
sheets:
  - id: a
    fan_out: zero
    instrument: sh
  - id: b
    depends_on: [a.2, nope]
    args: ["{{fan.index}}"]
    fan_out: 2
    instrument: sh
`;
    expect(problemsOf(() => parse(text)).map((p) => p.path)).toEqual(['instruments.sh.kind', 'sheets[0].fan_out', 'sheets[1].depends_on[1]']);
  });

  it('still checks dependencies when a sheet id or an unknown field is refused', () => {
    const text = `version: 1
name: ids
instruments:
  sh: { kind: command, command: [bash, -c] }
sheets:
  - id: "bad id"
    retires: 2
  - id: b
    depends_on: [b]
`;
    expect(problemsOf(() => parse(text)).map((p) => p.path)).toEqual(['sheets[0].id', 'sheets[0].retires', 'sheets']);
  });

  it('gives up on the whole-score checks only when the shape is beyond them', () => {
    expect(problemsOf(() => parse('version: 1\nname: x\ninstruments: {}\nsheets: []\n')).map((p) => p.path)).toEqual(['sheets']);
  });

  it('leaves a program’s input as it was', () => {
    const input = { version: 1 as const, name: 'x', instruments: { sh: { kind: 'command' as const, command: ['true'], bogus: 1 } }, sheets: [{ id: 'a', retries: -1, depends_on: ['zz'] }] };
    const before = JSON.stringify(input);
    expect(problemsOf(() => defineScore(input as never)).map((p) => p.path)).toEqual(['instruments.sh.bogus', 'sheets[0].retries', 'sheets[0].depends_on[0]']);
    expect(JSON.stringify(input)).toBe(before);
  });
});
