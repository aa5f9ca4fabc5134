import { afterEach, describe, expect, it } from 'vitest';
import {
  attachMetrics,
  Conductor,
  NoopRecorder,
  PrometheusRecorder,
  SHEET_STATES,
  VirtualClock,
  type AttemptRequest,
  type BatonEvent,
  type MetricsAttachment,
} from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { fail, ok, runToEnd, settle, SimInstrument, type Behaviour } from '../support/virtual-run.js';
import { parseExposition, total, type Sample } from './exposition.js';

let conductor: Conductor | undefined;
afterEach(async () => {
  await conductor?.shutdown();
  conductor = undefined;
});

function setup(behave: (request: AttemptRequest) => Behaviour, names: string[] = ['fn']) {
  const clock = new VirtualClock();
  conductor = new Conductor({ clock, random: () => 0.5 });
  const recorder = new PrometheusRecorder();
  const detach = attachMetrics(conductor, recorder);
  const instruments = Object.fromEntries(names.map((name) => [name, new SimInstrument(name, clock, behave)]));
  const scrape = async (): Promise<Sample[]> => parseExposition(await recorder.metrics());
  return { clock, conductor, recorder, detach, instruments, scrape };
}

/** Shuts down and waits until every event of the run was recorded. */
async function finish(c: Conductor, detach: MetricsAttachment): Promise<void> {
  await c.shutdown();
  await detach.ended;
}

describe('attachMetrics on a conductor', () => {
  it('records counters that agree with the job’s final status', async () => {
    const { clock, conductor: c, detach, instruments, scrape } = setup((request) => {
      if (request.sheetId === 'bad') return { durationMs: 1000, outcome: fail() };
      if (request.sheetId === 'flaky' && request.attempt === 1) return { durationMs: 1000, outcome: fail() };
      return { durationMs: 1000, outcome: { status: 'success', costUsd: 0.5 } };
    });
    const score = buildScore({
      name: 'mix',
      concurrency: 2,
      stages: [
        { id: 'ok', fanOut: 3 },
        { id: 'flaky', retries: 2 },
        { id: 'bad', retries: 1 },
        { id: 'after', deps: ['bad'] },
      ],
    });
    const jobId = c.register(score, { instruments });
    const result = await runToEnd(c, clock, jobId);
    await finish(c, detach);
    const samples = await scrape();

    const attempts = result.sheets.reduce((n, s) => n + s.attempts, 0);
    expect(attempts).toBe(7);
    expect(total(samples, 'baton_attempts_total', { job: 'mix' })).toBe(attempts);
    expect(total(samples, 'baton_attempts_total', { outcome: 'success' })).toBe(result.counts.completed);
    expect(total(samples, 'baton_attempts_total', { outcome: 'failure', reason: 'failed' })).toBe(3);
    expect(total(samples, 'baton_cost_usd_total', { job: 'mix', instrument: 'fn' })).toBe(result.costUsd);
    for (const state of SHEET_STATES) {
      expect(total(samples, 'baton_sheets', { job: 'mix', state }), state).toBe(result.counts[state]);
    }
    // Every attempt started, and each took one virtual second from its dispatch.
    expect(total(samples, 'baton_dispatch_latency_seconds_count', { instrument: 'fn' })).toBe(attempts);
    expect(total(samples, 'baton_attempt_duration_seconds_sum')).toBe(attempts);
  });

  it('emits attempt.ended with the number, instrument, cost and duration of each attempt', async () => {
    const { clock, conductor: c, detach, instruments } = setup((request) =>
      request.attempt === 1 ? { durationMs: 2000, outcome: fail() } : { durationMs: 500, outcome: { status: 'success', costUsd: 0.25 } },
    );
    const seen: BatonEvent[] = [];
    c.events$.subscribe((event) => {
      if (event.type === 'attempt.ended') seen.push(event);
    });
    const jobId = c.register(buildScore({ stages: [{ id: 's', retries: 1, backoff: { initialMs: 3000 } }] }), { instruments });
    await runToEnd(c, clock, jobId);
    await finish(c, detach);
    expect(seen).toEqual([
      { type: 'attempt.ended', jobId, sheetId: 's', attempt: 1, instrument: 'fn', outcome: 'failure', reason: 'failed', costUsd: 0, durationMs: 2000, at: 2000 },
      { type: 'attempt.ended', jobId, sheetId: 's', attempt: 2, instrument: 'fn', outcome: 'success', costUsd: 0.25, durationMs: 500, at: 5500 },
    ]);
  });

  it('counts the attempts a cancellation killed as cancelled', async () => {
    const { clock, conductor: c, detach, instruments, scrape } = setup(() => ({ durationMs: 10_000, outcome: ok }));
    const jobId = c.register(buildScore({ name: 'long', stages: [{ id: 'l', fanOut: 3 }] }), { instruments });
    await settle();
    clock.advanceTo(1000);
    c.cancel(jobId);
    const result = await c.waitForCompletion(jobId);
    await finish(c, detach);
    const samples = await scrape();
    expect(result.outcome).toBe('cancelled');
    expect(total(samples, 'baton_attempts_total', { job: 'long', outcome: 'cancelled' })).toBe(3);
    expect(total(samples, 'baton_attempts_total')).toBe(3);
    expect(total(samples, 'baton_sheets', { job: 'long', state: 'cancelled' })).toBe(3);
  });

  it('shows rate limits in force and open breakers as they are at the scrape', async () => {
    const { clock, conductor: c, detach, instruments, scrape } = setup(
      (request) => {
        if (request.sheetId.startsWith('x')) return { durationMs: 1000, outcome: fail() };
        if (request.attempt === 1 && clock.now() < 30_000) return { durationMs: 1000, outcome: { status: 'failure', error: '429', rateLimitedS: 30 } };
        return { durationMs: 1000, outcome: ok };
      },
      ['x', 'y'],
    );
    const score = buildScore({
      name: 'gates',
      instruments: { x: { circuitBreaker: { failures: 2, cooldownMs: 600_000 } }, y: {} },
      stages: [
        { id: 'x', fanOut: 2, instrument: 'x' },
        { id: 'r', instrument: 'y' },
      ],
    });
    const jobId = c.register(score, { instruments });
    await settle();
    clock.advanceTo(1000);
    await settle();
    await settle();

    let samples = await scrape();
    expect(total(samples, 'baton_rate_limits_active', { instrument: 'y', model: '' })).toBe(1);
    expect(total(samples, 'baton_rate_limit_remaining_seconds', { instrument: 'y' })).toBe(30);
    expect(total(samples, 'baton_attempts_total', { outcome: 'rate_limited' })).toBe(1);
    expect(total(samples, 'baton_circuit_breaker_state', { instrument: 'x', state: 'open' })).toBe(1);
    expect(total(samples, 'baton_circuit_breaker_state', { instrument: 'y', state: 'closed' })).toBe(1);
    expect(total(samples, 'baton_sheets', { job: 'gates', state: 'waiting' })).toBe(1);

    await runToEnd(c, clock, jobId);
    samples = await scrape();
    expect(total(samples, 'baton_rate_limits_active')).toBe(0);
    expect(total(samples, 'baton_sheets', { job: 'gates', state: 'completed' })).toBe(1);
    await finish(c, detach);
  });

  it('stops recording once detached', async () => {
    const { clock, conductor: c, detach, instruments, scrape } = setup(() => ({ durationMs: 1000, outcome: ok }));
    detach();
    await detach.ended;
    const jobId = c.register(buildScore({ stages: [{ id: 's' }] }), { instruments });
    await runToEnd(c, clock, jobId);
    await c.shutdown();
    const samples = await scrape();
    expect(total(samples, 'baton_attempts_total')).toBe(0);
    expect(total(samples, 'baton_sheets')).toBe(0);
  });

  it('runs a job unchanged with the no-op recorder', async () => {
    const clock = new VirtualClock();
    conductor = new Conductor({ clock });
    const detach = attachMetrics(conductor, new NoopRecorder());
    const fn = new SimInstrument('fn', clock, () => ({ durationMs: 1000, outcome: ok }));
    const jobId = conductor.register(buildScore({ stages: [{ id: 's', fanOut: 2 }] }), { instruments: { fn } });
    const result = await runToEnd(conductor, clock, jobId);
    await finish(conductor, detach);
    expect(result.outcome).toBe('completed');
    expect(result.counts.completed).toBe(2);
  });
});
