import { describe, expect, it } from 'vitest';
import { RATE_LIMIT_DEFAULTS } from '../../src/index.js';
import { parse, singleProblem } from './helpers.js';

const score = (rateLimit: string): string => `version: 1
name: test
instruments:
  sh: { kind: command, command: [bash, -c], rate_limit: { patterns: ["429"]${rateLimit} } }
sheets:
  - { id: a, args: ["true"] }
`;

describe('rate_limit.min_wait and max_limited_runs', () => {
  it('default to 1 s and 100', () => {
    expect(RATE_LIMIT_DEFAULTS).toMatchObject({ minWaitMs: 1_000, maxWaitMs: 3_600_000, maxLimitedRuns: 100 });
    expect(parse(score('')).instruments.sh!.rateLimit).toMatchObject({ minWaitMs: 1_000, maxWaitMs: 3_600_000, maxLimitedRuns: 100 });
  });

  it('compile as given', () => {
    const spec = parse(score(', min_wait: 250ms, max_wait: 2m, max_limited_runs: 7')).instruments.sh!.rateLimit;
    expect(spec).toMatchObject({ minWaitMs: 250, maxWaitMs: 120_000, maxLimitedRuns: 7 });
  });

  it('refuse a min_wait of 0, naming its path', () => {
    expect(singleProblem(score(', min_wait: 0'), 'instruments.sh.rate_limit.min_wait')).toMatch(/greater than 0/);
  });

  it('refuse a min_wait longer than max_wait (given or the 1 h default), naming its path', () => {
    expect(singleProblem(score(', min_wait: 2m, max_wait: 1m'), 'instruments.sh.rate_limit.min_wait')).toMatch(/not be longer than max_wait \(1m\)/);
    expect(singleProblem(score(', min_wait: 2h'), 'instruments.sh.rate_limit.min_wait')).toMatch(/max_wait \(1h\)/);
  });

  it('refuse a max_limited_runs below 1, naming its path', () => {
    singleProblem(score(', max_limited_runs: 0'), 'instruments.sh.rate_limit.max_limited_runs');
  });
});
