import { describe, expect, it } from 'vitest';
import { defineScore } from '../../src/index.js';
import { DEFAULT_MAX_SHEETS } from '../../src/score/sheet-limit.js';
import { parse, problemsOf, singleProblem, withSheets } from './helpers.js';

describe('the sheet limit', () => {
  it('refuses a fan-out over the default limit, at its path, pointing at dispatchBatches', () => {
    const text = withSheets('  - id: a\n  - id: b\n  - id: c\n  - id: wide\n    fan_out: 100000000');
    const message = singleProblem(text, 'sheets[3].fan_out');
    expect(message).toBe(
      `fan_out 100,000,000: the score expands to 100,000,003 sheets, over the limit of ${DEFAULT_MAX_SHEETS.toLocaleString('en-US')} (max_sheets, default); ` +
        'for a stream of items, use dispatchBatches (docs/batches.md); or raise max_sheets',
    );
  });

  it('counts every fan-out and names the largest when together they go over', () => {
    const half = DEFAULT_MAX_SHEETS / 2;
    const text = withSheets(`  - id: a\n    fan_out: ${half}\n  - id: b\n    fan_out: ${half + 1}`);
    expect(singleProblem(text, 'sheets[1].fan_out')).toMatch(/expands to [\d,]+ sheets, over the limit/);
  });

  it('accepts a score at the limit, counted without expanding it', () => {
    const score = parse(withSheets(`  - id: a\n    fan_out: ${DEFAULT_MAX_SHEETS}`));
    expect(score.sheetCount).toBe(DEFAULT_MAX_SHEETS);
  });

  it('lets max_sheets raise or lower the limit', () => {
    expect(parse(withSheets(`  - id: a\n    fan_out: ${DEFAULT_MAX_SHEETS + 1}`, `max_sheets: ${DEFAULT_MAX_SHEETS + 1}`)).sheetCount).toBe(
      DEFAULT_MAX_SHEETS + 1,
    );
    expect(singleProblem(withSheets('  - id: a\n    fan_out: 3', 'max_sheets: 2'), 'sheets[0].fan_out')).toContain(
      'the score expands to 3 sheets, over the limit of 2 (max_sheets)',
    );
    expect(singleProblem(withSheets('  - id: a\n  - id: b', 'max_sheets: 1'), 'sheets')).toMatch(/^the score expands to 2 sheets/);
  });

  it('refuses the score in defineScore too, for programs', () => {
    const problems = problemsOf(() =>
      defineScore({ version: 1, name: 'big', instruments: { sh: { kind: 'command', command: ['true'] } }, sheets: [{ id: 'a', fan_out: 100_000_000 }] }),
    );
    expect(problems.map((p) => p.path)).toEqual(['sheets[0].fan_out']);
  });

  it('rejects a max_sheets that is not a positive integer', () => {
    expect(singleProblem(withSheets('  - id: a', 'max_sheets: 0'), 'max_sheets')).toBe('must be at least 1');
  });
});
