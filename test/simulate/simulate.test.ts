import { describe, expect, it } from 'vitest';
import { formatSimulation, simulate } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { checks, defineProfile, steady } from './helpers.js';

/**
 *   a(1s) ──> b(5s) ──> d(1s)
 *     └────> c(2s) ──────┘
 *   e(3s)
 * Latencies come from per-model overrides of one instrument.
 */
const diamond = buildScore({
  concurrency: 10,
  instruments: { fn: { models: { l1: {}, l2: {}, l3: {}, l5: {} } } },
  stages: [
    { id: 'a', model: 'l1' },
    { id: 'b', model: 'l5', deps: ['a'] },
    { id: 'c', model: 'l2', deps: ['a'] },
    { id: 'd', model: 'l1', deps: ['b', 'c'] },
    { id: 'e', model: 'l3' },
  ],
});
const diamondProfile = defineProfile({
  instruments: {
    fn: {
      latency: '1s',
      models: { l1: { latency: '1s' }, l2: { latency: '2s' }, l3: { latency: '3s' }, l5: { latency: '5s' } },
    },
  },
});

describe('simulate', () => {
  it('follows the dependency that ended last: the critical path sums to the makespan', async () => {
    const result = await simulate(diamond, diamondProfile, { runs: 3 });
    expect(result.makespanMs).toEqual({ mean: 7000, median: 7000, p90: 7000, min: 7000, max: 7000 });
    expect(result.criticalPath.sheets.map((s) => [s.id, s.startedAtMs, s.endedAtMs])).toEqual([
      ['a', 0, 1000],
      ['b', 1000, 6000],
      ['d', 6000, 7000],
    ]);
    expect(result.sheets.map((s) => [s.id, s.critical])).toEqual([
      ['a', 3],
      ['b', 3],
      ['c', 0],
      ['d', 3],
      ['e', 0],
    ]);
    expect(result.attempts.max).toBe(5);
    expect(result.outcomes).toEqual({ completed: 3 });
  });

  it('holds the concurrency: N independent sheets of fixed latency take ceil(N/c) rounds', async () => {
    for (const [n, c] of [
      [10, 3],
      [7, 7],
      [5, 1],
      [12, 5],
    ] as const) {
      const score = buildScore({ concurrency: 100, stages: [{ id: 'x', fanOut: n }] });
      const result = await simulate(score, steady('2s'), { runs: 2, concurrency: c });
      expect(result.concurrency).toBe(c);
      expect(result.makespanMs.max).toBe(Math.ceil(n / c) * 2000);
    }
  });

  it('holds instrument caps below the global concurrency', async () => {
    const score = buildScore({ concurrency: 10, instruments: { fn: { concurrency: 2 } }, stages: [{ id: 'x', fanOut: 6 }] });
    const result = await simulate(score, steady('1s'), { runs: 1 });
    expect(result.makespanMs.max).toBe(3000);
  });

  it('accounts the time rate-limited: each limited attempt waits its duration before the retry', async () => {
    const score = buildScore({ stages: [{ id: 'only' }] });
    const profile = steady('2s', { rate_limit: { rate: 0.6, duration: '10s' } });
    const result = await simulate(score, profile, { runs: 30, seed: 5 });
    for (const run of result.perRun) {
      const limited = run.rateLimited;
      expect(run.outcome).toBe('completed');
      expect(run.attempts).toBe(1);
      expect(run.rateLimitedMs).toBe(limited * 10_000);
      expect(run.makespanMs).toBe((1 + limited) * 2000 + limited * 10_000);
    }
    expect(result.rateLimitedMs.max).toBeGreaterThan(0);
    expect(result.rateLimitedMs.total).toBe(result.perRun.reduce((t, r) => t + r.rateLimitedMs, 0));
  });

  it('counts a rate limit once for an instrument while sheets wait on it together', async () => {
    const score = buildScore({ concurrency: 10, stages: [{ id: 'x', fanOut: 8 }] });
    const profile = steady('1s', { rate_limit: { rate: 0.5, duration: '30s' } });
    const result = await simulate(score, profile, { runs: 10, seed: 3 });
    for (const run of result.perRun) {
      expect(run.rateLimitedMs).toBeLessThanOrEqual(run.makespanMs);
      expect(run.rateLimitedMs % 30_000).toBe(0);
    }
    expect(result.rateLimitedMs.max).toBeGreaterThan(0);
  });

  it('kills attempts at the timeout, counts them as failures and still charges them', async () => {
    const score = buildScore({ stages: [{ id: 'slow', timeoutMs: 5000, retries: 1 }] });
    const result = await simulate(score, steady('10s', { cost_usd: 0.5 }), { runs: 1 });
    // 5 s, the 1 s backoff, 5 s again.
    expect(result.perRun[0]).toMatchObject({ outcome: 'failed', makespanMs: 11_000, attempts: 2, costUsd: 1 });
  });

  it('sends partly validated sheets into completion mode', async () => {
    const stage = { id: 'v', validations: checks(2), completionAttempts: 3, retries: 0 };
    const partial = await simulate(buildScore({ stages: [stage] }), steady('1s', { partial_rate: 1 }), { runs: 1 });
    // One normal attempt, then three completion attempts, all partial: the sheet fails.
    expect(partial.perRun[0]).toMatchObject({ outcome: 'failed', attempts: 4 });
    const full = await simulate(buildScore({ stages: [stage] }), steady('1s', { partial_rate: 0 }), { runs: 1 });
    expect(full.perRun[0]).toMatchObject({ outcome: 'completed', attempts: 1 });
  });

  it('fails the one validation of a sheet that has one, which retries it', async () => {
    const score = buildScore({ stages: [{ id: 'v', validations: checks(1), retries: 2 }] });
    const result = await simulate(score, steady('1s', { partial_rate: 1 }), { runs: 1 });
    expect(result.perRun[0]).toMatchObject({ outcome: 'failed', attempts: 3 });
  });

  it('leaves partial_rate without effect on sheets without validations', async () => {
    const score = buildScore({ stages: [{ id: 'plain' }] });
    const result = await simulate(score, steady('1s', { partial_rate: 1 }), { runs: 1 });
    expect(result.perRun[0]).toMatchObject({ outcome: 'completed', attempts: 1 });
  });

  it('pauses a run once its budget is spent', async () => {
    const score = buildScore({ budgetUsd: 0.05, concurrency: 1, stages: [{ id: 'x', fanOut: 10 }] });
    const result = await simulate(score, steady('1s', { cost_usd: 0.02 }), { runs: 2 });
    expect(result.outcomes).toEqual({ paused: 2 });
    expect(result.perRun[0]).toMatchObject({ attempts: 3, costUsd: 0.06, makespanMs: 3000 });
  });

  it('retries failures as the score says, and charges every attempt', async () => {
    const score = buildScore({ stages: [{ id: 'x', fanOut: 20, retries: 1 }] });
    const result = await simulate(score, steady('1s', { failure_rate: 1, cost_usd: 0.01 }), { runs: 1 });
    expect(result.perRun[0]).toMatchObject({ outcome: 'failed', attempts: 40, costUsd: 0.4 });
    expect(result.sheets.every((s) => s.completed === 0)).toBe(true);
  });

  it('uses the per-model behaviour, and the instrument’s for a model without one', async () => {
    const score = buildScore({
      concurrency: 1,
      instruments: { fn: { models: { fast: {}, other: {} } } },
      stages: [
        { id: 'a', model: 'fast' },
        { id: 'b', model: 'other' },
      ],
    });
    const profile = defineProfile({ instruments: { fn: { latency: '10s', models: { fast: { latency: '1s' } } } } });
    const result = await simulate(score, profile, { runs: 1 });
    expect(result.makespanMs.max).toBe(11_000);
  });

  it('gives the same result for the same seed, and another for another seed', async () => {
    const score = buildScore({ concurrency: 3, stages: [{ id: 'x', fanOut: 6, retries: 2 }, { id: 'y', deps: ['x'] }] });
    const profile = defineProfile({
      default: {
        latency: { lognormal: { median: '5s', p90: '20s' } },
        failure_rate: 0.2,
        rate_limit: { rate: 0.1, duration: { uniform: ['5s', '30s'] } },
        cost_usd: { normal: { mean: 0.05, stddev: 0.02 } },
      },
    });
    const one = await simulate(score, profile, { seed: 42, runs: 10 });
    const again = await simulate(score, profile, { seed: 42, runs: 10 });
    const other = await simulate(score, profile, { seed: 43, runs: 10 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(one));
    expect(formatSimulation(again)).toBe(formatSimulation(one));
    expect(JSON.stringify(other.perRun)).not.toBe(JSON.stringify(one.perRun));
  });

  it('draws each attempt the same whatever the concurrency', async () => {
    const score = buildScore({ concurrency: 10, stages: [{ id: 'x', fanOut: 10 }] });
    const profile = steady('1s', { cost_usd: { uniform: [0.01, 0.09] } });
    const wide = await simulate(score, profile, { seed: 9, runs: 5 });
    const narrow = await simulate(score, profile, { seed: 9, runs: 5, concurrency: 2 });
    expect(narrow.sheets.map((s) => s.costUsd)).toEqual(wide.sheets.map((s) => s.costUsd));
    expect(narrow.makespanMs.max).toBeGreaterThan(wide.makespanMs.max);
  });

  it('rejects options that are not counts', async () => {
    const score = buildScore({ stages: [{ id: 'x' }] });
    await expect(simulate(score, steady('1s'), { runs: 0 })).rejects.toThrow('runs must be a positive integer, got 0');
    await expect(simulate(score, steady('1s'), { seed: 1.5 })).rejects.toThrow('seed must be an integer, got 1.5');
    await expect(simulate(score, steady('1s'), { concurrency: 0 })).rejects.toThrow('concurrency must be a positive integer');
  });
});
