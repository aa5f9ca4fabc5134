import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, scoreFile } from './run-cli.js';

const header = `version: 1
name: limits
instruments:
  sh: { kind: command, command: [bash, -c] }
`;

const HUGE = `${header}sheets:
  - { id: a, args: ["true"] }
  - { id: b, args: ["true"] }
  - { id: c, args: ["true"] }
  - { id: wide, fan_out: 100000000, args: ["true"] }
`;

describe('baton validate and run: a score too large to run', () => {
  it('validate refuses it, naming the fan-out and dispatchBatches', async () => {
    const r = await baton(['validate', scoreFile(HUGE)]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^sheets\[3\]\.fan_out: fan_out 100,000,000: the score expands to 100,000,003 sheets, over the limit of [\d,]+ \(max_sheets, default\)/);
    expect(lines[0]).toContain('dispatchBatches');
  });

  it('run refuses it before making a checkpoint', async () => {
    const path = scoreFile(HUGE);
    const r = await baton(['run', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sheets\[3\]\.fan_out: /);
    expect(existsSync(join(dirname(path), '.baton'))).toBe(false);
  });

  it('runs it when max_sheets allows it', async () => {
    const r = await baton(['validate', scoreFile(`${header}max_sheets: 3\nsheets:\n  - { id: a, fan_out: 3, args: ["true"] }\n`)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('limits: valid (3 sheets');
  });
});

describe('baton validate: every problem in one pass', () => {
  it('reports six problems of different kinds, schema and whole-score alike', async () => {
    const r = await baton([
      'validate',
      join(import.meta.dirname, '../fixtures/six-problems.yaml'),
    ]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines.map((line) => line.slice(0, line.indexOf(': ')))).toEqual([
      'instruments.sh.concurrency',
      'sheets[0].fan_out',
      'sheets[1].retries',
      'sheets[2].depends_on[0]',
      'sheets',
      'sheets[1].args[0]',
    ]);
    expect(lines[4]).toBe('sheets: dependency cycle: c → d → c');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
