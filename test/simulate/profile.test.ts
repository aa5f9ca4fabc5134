import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfile, parseProfile, ProfileError } from '../../src/index.js';
import { Behaviours } from '../../src/simulate/behaviours.js';
import { sample } from '../../src/simulate/distribution.js';
import { seededRandom } from '../../src/simulate/random.js';
import { buildScore } from '../support/build-score.js';
import { makeTempDir } from '../support/temp-dir.js';
import { thrownBy } from '../support/thrown.js';

function problems(text: string): string[] {
  return thrownBy(ProfileError, () => parseProfile(text), 'expected the profile to be rejected').message.split('\n');
}

const score = buildScore({
  instruments: { agent: { models: { fast: {}, deep: {} } }, sh: {} },
  stages: [{ id: 'a', instrument: 'agent', model: 'fast' }, { id: 'b', instrument: 'sh' }],
});

function against(text: string): string[] {
  const run = () => new Behaviours(parseProfile(text), score);
  return thrownBy(ProfileError, run, 'expected the profile to be rejected').message.split('\n');
}

describe('profile files', () => {
  it('reads every distribution form, durations in milliseconds and amounts in dollars', () => {
    const profile = parseProfile(`
default:
  latency: 1.5
  cost_usd: 0.02
instruments:
  agent:
    latency: { uniform: [500ms, 2s] }
    failure_rate: 0.1
    rate_limit: { rate: 0.05, duration: { normal: { mean: 30s, stddev: 5s } } }
    cost_usd: { lognormal: { median: 0.1, p90: 0.4 } }
    partial_rate: 0.2
    models:
      deep: { latency: { fixed: 1m } }
`);
    expect(profile.default).toEqual({ latency: { kind: 'fixed', value: 1500 }, costUsd: { kind: 'fixed', value: 0.02 } });
    expect(profile.instruments.agent).toEqual({
      behaviour: {
        latency: { kind: 'uniform', min: 500, max: 2000 },
        failureRate: 0.1,
        rateLimit: { rate: 0.05, wait: { kind: 'normal', mean: 30_000, stddev: 5000 } },
        costUsd: { kind: 'lognormal', median: 0.1, p90: 0.4 },
        partialRate: 0.2,
      },
      models: { deep: { latency: { kind: 'fixed', value: 60_000 } } },
    });
  });

  it.each([
    ['default: { latency: soon }', 'default.latency: invalid duration "soon"'],
    ['default: { latency: true }', 'default.latency: expected a duration'],
    ['default: { latency: { fixd: 1 } }', 'default.latency.fixd: unknown field "fixd"'],
    ['default: { latency: { uniform: [5s, 1s] } }', 'default.latency.uniform: expected [low, high]'],
    ['default: { latency: { uniform: [1s] } }', 'default.latency.uniform: must have at least 2 items'],
    ['default: { latency: { lognormal: { median: 2s, p90: 1s } } }', 'default.latency.lognormal.p90: must be at least the median'],
    ['default: { latency: { lognormal: { median: 0, p90: 1s } } }', 'default.latency.lognormal.median: must be greater than 0'],
    ['default: { latency: { normal: { mean: 1s } } }', 'default.latency.normal.stddev: required'],
    ['default: { latency: { fixed: 1s, uniform: [1, 2] } }', 'default.latency: give one distribution, not fixed and uniform'],
    ['default: { cost_usd: cheap }', 'default.cost_usd: expected an amount in USD'],
    ['default: { cost_usd: -1 }', 'default.cost_usd: must be at least 0'],
    ['default: { failure_rate: 1.5 }', 'default.failure_rate: must be at most 1'],
    ['default: { rate_limit: { rate: 1, duration: 1s } }', 'default.rate_limit.rate: must be less than 1'],
    ['default: { speed: 2 }', 'default.speed: unknown field "speed"'],
    ['default: { latency: 1s, models: {} }', 'default.models: unknown field "models"'],
    ['instruments: { agent: null }', 'instruments.agent: expected a mapping'],
    ['[1, 2]', '<profile>: expected a mapping, got a list'],
    ['', '<profile>: the profile is empty'],
    ['default: [', 'line 1'],
  ])('rejects %j', (text, expected) => {
    expect(problems(text).some((line) => line.startsWith(expected))).toBe(true);
  });

  it('names a file it cannot find', async () => {
    await expect(loadProfile('/nonexistent/x.profile.yaml')).rejects.toThrow('<file>: profile file not found: /nonexistent/x.profile.yaml');
  });

  it('reads JSON when the file name ends in .json', async () => {
    const file = join(makeTempDir('baton-profile-'), 'p.json');
    writeFileSync(file, JSON.stringify({ default: { latency: '2s' } }));
    expect((await loadProfile(file)).default.latency).toEqual({ kind: 'fixed', value: 2000 });
  });
});

describe('a profile against its score', () => {
  it('rejects instruments the score does not have, naming them', () => {
    expect(against('default: { latency: 1s }\ninstruments: { agnet: { latency: 1s }, sh: {} }')).toEqual([
      'instruments.agnet: the score has no instrument "agnet" (its instruments: agent, sh)',
    ]);
  });

  it('rejects models the instrument does not have', () => {
    expect(against('default: { latency: 1s }\ninstruments: { agent: { models: { huge: { latency: 2s } } } }')).toEqual([
      'instruments.agent.models.huge: instrument "agent" of the score has no model "huge" (its models: fast, deep)',
    ]);
  });

  it('requires a latency for every instrument', () => {
    expect(against('instruments: { agent: { latency: 1s } }')).toEqual([
      'default.latency: no latency for instrument "sh": give default.latency or instruments.sh.latency',
    ]);
    expect(against('default: { failure_rate: 0.1 }\ninstruments: { agent: { failure_rate: 0.2 } }')).toHaveLength(2);
  });

  it('rejects failure and rate-limit shares above 1 together, wherever they were set', () => {
    expect(against('default: { latency: 1s, failure_rate: 0.6 }\ninstruments: { sh: { rate_limit: { rate: 0.5, duration: 1s } } }')).toEqual([
      'instruments.sh: failure_rate 0.6 and rate_limit.rate 0.5 add up to more than 1',
    ]);
  });

  it('takes each field from the most specific level', () => {
    const behaviours = new Behaviours(
      parseProfile(`
default: { latency: 9s, cost_usd: 0.5, failure_rate: 0.1 }
instruments:
  agent:
    latency: 3s
    models: { deep: { latency: 7s } }
`),
      score,
    );
    expect(behaviours.of('agent', 'deep')).toMatchObject({ latency: { value: 7000 }, costUsd: { value: 0.5 }, failureRate: 0.1 });
    expect(behaviours.of('agent', 'fast')).toMatchObject({ latency: { value: 3000 } });
    expect(behaviours.of('agent', undefined)).toMatchObject({ latency: { value: 3000 } });
    expect(behaviours.of('sh', undefined)).toMatchObject({ latency: { value: 9000 }, partialRate: 0, rateLimit: undefined });
  });
});

describe('distributions', () => {
  const draws = (n: number, draw: () => number): number[] => Array.from({ length: n }, draw);

  it('keeps a uniform draw within its bounds', () => {
    const random = seededRandom(1);
    for (const v of draws(2000, () => sample({ kind: 'uniform', min: 100, max: 300 }, random))) {
      expect(v).toBeGreaterThanOrEqual(100);
      expect(v).toBeLessThan(300);
    }
  });

  it('never draws a normal below 0', () => {
    const random = seededRandom(2);
    expect(Math.min(...draws(2000, () => sample({ kind: 'normal', mean: 100, stddev: 200 }, random)))).toBe(0);
  });

  it('puts half the lognormal draws below the median and nine in ten below p90', () => {
    const random = seededRandom(3);
    const values = draws(20_000, () => sample({ kind: 'lognormal', median: 1000, p90: 5000 }, random));
    const share = (limit: number) => values.filter((v) => v < limit).length / values.length;
    expect(share(1000)).toBeCloseTo(0.5, 1);
    expect(share(5000)).toBeCloseTo(0.9, 1);
  });
});
