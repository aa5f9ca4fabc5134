import { describe, expect, it } from 'vitest';
import { parseDuration, ScoreError } from '../../src/index.js';

describe('parseDuration', () => {
  it.each([
    [0, 0],
    [30, 30_000],
    [1.5, 1500],
    [0.25, 250],
    ['10', 10_000],
    ['2.5', 2500],
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    ['2d', 172_800_000],
    ['1m30s250ms', 90_250],
    [' 45s ', 45_000],
  ] as const)('reads %j as %d ms', (value, ms) => {
    expect(parseDuration(value, 'timeout')).toBe(ms);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '', 'abc', '10x', '-5s', '1m30', 's', '1.s', '5 minutes'])(
    'rejects %j with an error naming the path',
    (value) => {
      let error: unknown;
      try {
        parseDuration(value, 'defaults.timeout');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ScoreError);
      const problems = (error as ScoreError).problems;
      expect(problems).toHaveLength(1);
      expect(problems[0]!.path).toBe('defaults.timeout');
      expect((error as ScoreError).message).toMatch(/^defaults\.timeout: /);
    },
  );
});
