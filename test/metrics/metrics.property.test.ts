import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  attachMetrics,
  Conductor,
  PrometheusRecorder,
  SHEET_STATES,
  VirtualClock,
  type JobResult,
} from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { dagDraftArb } from '../support/random-dag.js';
import { prng } from '../support/random.js';
import { fail, runToEnd, SimInstrument } from '../support/virtual-run.js';
import { parseExposition, total } from './exposition.js';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 200);

describe('metrics agree with the conductor on random DAGs', () => {
  test.prop([dagDraftArb({ maxStages: 6 }), fc.integer(), fc.double({ min: 0, max: 0.6, noNaN: true }), fc.integer({ min: 1, max: 2 })], {
    numRuns: RUNS,
  })('every attempt is counted once, cost and sheets per state match the final status', async (draft, seed, failureRate, jobCount) => {
    const clock = new VirtualClock();
    const random = prng(seed);
    const conductor = new Conductor({ clock, random });
    const recorder = new PrometheusRecorder();
    const detach = attachMetrics(conductor, recorder);
    const behave = () => ({
      durationMs: 1 + Math.floor(random() * 2000),
      outcome: random() < failureRate ? fail() : { status: 'success' as const, costUsd: 0.25 },
    });
    const a = new SimInstrument('a', clock, behave);
    const b = new SimInstrument('b', clock, behave);
    const score = buildScore({ ...draft, name: 'random' });
    const jobIds = Array.from({ length: jobCount }, () => conductor.register(score, { instruments: { a, b } }));
    const results: JobResult[] = [];
    for (const jobId of jobIds) results.push(await runToEnd(conductor, clock, jobId));
    await conductor.shutdown();
    await detach.ended;
    const samples = parseExposition(await recorder.metrics());

    const sheets = results.flatMap((r) => r.sheets);
    const attempts = sheets.reduce((n, s) => n + s.attempts, 0);
    const completed = sheets.filter((s) => s.state === 'completed').length;
    expect(total(samples, 'baton_attempts_total', { job: 'random' })).toBe(attempts);
    expect(total(samples, 'baton_attempts_total', { outcome: 'success' })).toBe(completed);
    expect(total(samples, 'baton_dispatch_latency_seconds_count')).toBe(attempts);
    expect(total(samples, 'baton_attempt_duration_seconds_count')).toBe(attempts);
    expect(total(samples, 'baton_cost_usd_total')).toBeCloseTo(completed * 0.25, 9);
    for (const state of SHEET_STATES) {
      const count = results.reduce((n, r) => n + r.counts[state], 0);
      expect(total(samples, 'baton_sheets', { job: 'random', state }), state).toBe(count);
    }
  });
});
