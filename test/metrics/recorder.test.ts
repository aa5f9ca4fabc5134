import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { PrometheusRecorder, type BatonEvent, type GaugeSource } from '../../src/index.js';
import { EventMetrics } from '../../src/observe/metrics/event-metrics.js';
import { parseExposition, total, has, type Sample } from './exposition.js';

const j = { jobId: 'j1' };

function ended(
  sheetId: string,
  outcome: 'success' | 'partial' | 'failure' | 'rate_limited' | 'cancelled',
  extra: Partial<Extract<BatonEvent, { type: 'attempt.ended' }>> = {},
): BatonEvent {
  return { type: 'attempt.ended', ...j, sheetId, attempt: 1, instrument: 'sh', outcome, costUsd: 0, durationMs: 0, at: 0, ...extra };
}

/** A synthetic run: two attempts of `a` (one retry), one start failure of `b`, buffer traffic. */
const SEQUENCE: BatonEvent[] = [
  { type: 'job.started', ...j, name: 'nightly', sheets: 3, at: 0 },
  { type: 'buffer.depth', instrument: 'sh', queued: 4, starting: 2, at: 900 },
  { type: 'dispatch.at_capacity', ...j, sheetId: 'c', instrument: 'sh', at: 950 },
  { type: 'dispatch.at_capacity', ...j, sheetId: 'c', instrument: 'sh', at: 960 },
  { type: 'dispatch.at_capacity', ...j, sheetId: 'c', instrument: 'sh', at: 970 },
  { type: 'sheet.dispatched', ...j, sheetId: 'a', attempt: 1, run: 1, mode: 'normal', instrument: 'sh', at: 1000 },
  { type: 'sheet.running', ...j, sheetId: 'a', attempt: 1, at: 1250 },
  ended('a', 'failure', { reason: 'failed', costUsd: 0.125, durationMs: 2000, at: 3000 }),
  { type: 'sheet.dispatched', ...j, sheetId: 'a', attempt: 2, run: 2, mode: 'normal', instrument: 'sh', at: 5000 },
  { type: 'sheet.running', ...j, sheetId: 'a', attempt: 2, at: 5000 },
  ended('a', 'success', { attempt: 2, costUsd: 0.25, durationMs: 500, at: 5500 }),
  { type: 'sheet.dispatched', ...j, sheetId: 'b', attempt: 1, run: 1, mode: 'normal', instrument: 'agent', model: 'fast', at: 6000 },
  { type: 'dispatch.start_error', ...j, sheetId: 'b', instrument: 'agent', permanent: false, error: 'EAGAIN', at: 6001 },
  { type: 'dispatch.start_error', ...j, sheetId: 'b', instrument: 'agent', permanent: false, error: 'EAGAIN', at: 6002 },
  { type: 'dispatch.start_error', ...j, sheetId: 'b', instrument: 'agent', permanent: true, error: 'ENOENT', at: 6003 },
  ended('b', 'failure', { instrument: 'agent', model: 'fast', reason: 'unavailable', durationMs: 10, at: 6010 }),
  { type: 'buffer.depth', instrument: 'sh', queued: 1, starting: 0, at: 7000 },
];

async function record(events: BatonEvent[], lookup?: (jobId: string) => string | undefined): Promise<{ samples: Sample[]; metrics: EventMetrics }> {
  const recorder = new PrometheusRecorder();
  const metrics = new EventMetrics(recorder, lookup);
  for (const event of events) metrics.record(event);
  return { samples: parseExposition(await recorder.metrics()), metrics };
}

describe('metrics from a synthetic event sequence', () => {
  it('counts attempts by job name, instrument, model, outcome and reason', async () => {
    const { samples } = await record(SEQUENCE);
    expect(total(samples, 'baton_attempts_total')).toBe(3);
    expect(total(samples, 'baton_attempts_total', { job: 'nightly', instrument: 'sh', model: '', outcome: 'failure', reason: 'failed' })).toBe(1);
    expect(total(samples, 'baton_attempts_total', { job: 'nightly', instrument: 'sh', outcome: 'success', reason: '' })).toBe(1);
    expect(total(samples, 'baton_attempts_total', { instrument: 'agent', model: 'fast', outcome: 'failure', reason: 'unavailable' })).toBe(1);
    // Sheet ids never become labels.
    expect(samples.some((s) => 'sheet' in s.labels || Object.values(s.labels).includes('a'))).toBe(false);
  });

  it('adds up cost per job and instrument', async () => {
    const { samples } = await record(SEQUENCE);
    expect(total(samples, 'baton_cost_usd_total', { job: 'nightly', instrument: 'sh' })).toBe(0.375);
    expect(total(samples, 'baton_cost_usd_total', { instrument: 'agent' })).toBe(0);
  });

  it('measures dispatch latency from dispatch to running, only for attempts that started', async () => {
    const { samples, metrics } = await record(SEQUENCE);
    expect(total(samples, 'baton_dispatch_latency_seconds_count', { instrument: 'sh' })).toBe(2);
    expect(total(samples, 'baton_dispatch_latency_seconds_sum', { instrument: 'sh' })).toBe(0.25);
    expect(total(samples, 'baton_dispatch_latency_seconds_bucket', { instrument: 'sh', le: '0.1' })).toBe(1);
    expect(has(samples, 'baton_dispatch_latency_seconds_count', { instrument: 'agent' })).toBe(false);
    expect(metrics.pendingStarts).toBe(0);
  });

  it('observes attempt durations per outcome', async () => {
    const { samples } = await record(SEQUENCE);
    expect(total(samples, 'baton_attempt_duration_seconds_count', { instrument: 'sh', outcome: 'failure' })).toBe(1);
    expect(total(samples, 'baton_attempt_duration_seconds_sum', { instrument: 'sh', outcome: 'failure' })).toBe(2);
    expect(total(samples, 'baton_attempt_duration_seconds_sum', { instrument: 'sh', outcome: 'success' })).toBe(0.5);
  });

  it('counts start errors by permanence and at-capacity refusals; keeps the latest buffer depth', async () => {
    const { samples } = await record(SEQUENCE);
    expect(total(samples, 'baton_dispatch_start_errors_total', { instrument: 'agent', permanent: 'false' })).toBe(2);
    expect(total(samples, 'baton_dispatch_start_errors_total', { instrument: 'agent', permanent: 'true' })).toBe(1);
    expect(total(samples, 'baton_dispatch_at_capacity_total', { instrument: 'sh' })).toBe(3);
    expect(total(samples, 'baton_dispatch_queue_depth', { instrument: 'sh' })).toBe(1);
    expect(total(samples, 'baton_dispatch_starting', { instrument: 'sh' })).toBe(0);
  });

  it('names a job it saw no job.started for by lookup, else by its id', async () => {
    const events = [ended('x', 'cancelled', { jobId: 'known' }), ended('y', 'rate_limited', { jobId: 'lost' })];
    const { samples } = await record(events, (jobId) => (jobId === 'known' ? 'restored' : undefined));
    expect(total(samples, 'baton_attempts_total', { job: 'restored', outcome: 'cancelled' })).toBe(1);
    expect(total(samples, 'baton_attempts_total', { job: 'lost', outcome: 'rate_limited' })).toBe(1);
  });

  it('forgets dispatches that never start once 10,000 are waiting', async () => {
    const events: BatonEvent[] = Array.from({ length: 12_000 }, (_, i) => ({
      type: 'sheet.dispatched',
      ...j,
      sheetId: `s${i}`,
      attempt: 1,
      run: 1,
      mode: 'normal',
      instrument: 'sh',
      at: i,
    }));
    events.push({ type: 'sheet.running', ...j, sheetId: 's0', attempt: 1, at: 20_000 });
    events.push({ type: 'sheet.running', ...j, sheetId: 's11999', attempt: 1, at: 12_000 });
    const { samples, metrics } = await record(events);
    expect(metrics.pendingStarts).toBe(9_999);
    // s0 was the oldest and was forgotten; s11999 was measured.
    expect(total(samples, 'baton_dispatch_latency_seconds_count')).toBe(1);
    expect(total(samples, 'baton_dispatch_latency_seconds_sum')).toBe(0.001);
  });
});

describe('gauges read from their sources at collection', () => {
  const source = (job: string, running: number, extra: Partial<GaugeSource> = {}): GaugeSource => ({
    sheetCounts: () => [
      { job, state: 'running', count: running },
      { job, state: 'completed', count: 2 },
    ],
    rateLimits: () => [],
    breakers: () => [],
    ...extra,
  });

  it('adds up sheets of jobs that share a name, and drops a removed source', async () => {
    const recorder = new PrometheusRecorder();
    const remove = recorder.addGaugeSource(source('build', 1));
    recorder.addGaugeSource(source('build', 3));
    let samples = parseExposition(await recorder.metrics());
    expect(total(samples, 'baton_sheets', { job: 'build', state: 'running' })).toBe(4);
    expect(total(samples, 'baton_sheets', { job: 'build', state: 'completed' })).toBe(4);
    remove();
    samples = parseExposition(await recorder.metrics());
    expect(total(samples, 'baton_sheets', { job: 'build', state: 'running' })).toBe(3);
  });

  it('reports rate limits in force and breakers one-hot by state', async () => {
    const recorder = new PrometheusRecorder();
    let limits = [{ instrument: 'llm', model: 'big' as string | undefined, remainingMs: 1500 }];
    recorder.addGaugeSource(
      source('j', 0, {
        rateLimits: () => limits,
        breakers: () => [
          { instrument: 'llm', state: 'open' },
          { instrument: 'sh', state: 'halfOpen' },
        ],
      }),
    );
    let samples = parseExposition(await recorder.metrics());
    expect(total(samples, 'baton_rate_limits_active', { instrument: 'llm', model: 'big' })).toBe(1);
    expect(total(samples, 'baton_rate_limit_remaining_seconds', { instrument: 'llm', model: 'big' })).toBe(1.5);
    expect(total(samples, 'baton_circuit_breaker_state', { state: 'open' })).toBe(1);
    expect(total(samples, 'baton_circuit_breaker_state', { instrument: 'llm', state: 'open' })).toBe(1);
    expect(total(samples, 'baton_circuit_breaker_state', { instrument: 'sh', state: 'half_open' })).toBe(1);
    expect(total(samples, 'baton_circuit_breaker_state', { instrument: 'sh', state: 'closed' })).toBe(0);
    limits = [];
    samples = parseExposition(await recorder.metrics());
    expect(has(samples, 'baton_rate_limits_active')).toBe(false);
  });
});

describe('PrometheusRecorder registry', () => {
  it('registers on its own registry, or the one given, never the global one', async () => {
    const { register } = await import('prom-client');
    const own = new PrometheusRecorder();
    const shared = new Registry();
    new PrometheusRecorder({ registry: shared });
    expect(own.registry).not.toBe(register);
    expect(register.getSingleMetric('baton_attempts_total')).toBeUndefined();
    expect(shared.getSingleMetric('baton_attempts_total')).toBeDefined();
  });

  it('adds the process metrics only when asked', async () => {
    const withProcess = parseExposition(await new PrometheusRecorder({ processMetrics: true }).metrics());
    const without = parseExposition(await new PrometheusRecorder().metrics());
    expect(has(withProcess, 'process_cpu_user_seconds_total')).toBe(true);
    expect(has(without, 'process_cpu_user_seconds_total')).toBe(false);
  });
});
