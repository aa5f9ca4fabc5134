/**
 * Durations beyond 2^31 - 1 ms on the real clock (faked here: vitest's fake timers behave as
 * Node's, a longer delay fires at once): the conductor's default clock honours them.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Conductor, type AttemptOutcome } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';

const DAY = 86_400_000;

afterEach(() => {
  vi.useRealTimers();
});

describe('durations beyond 24.8 days on the real clock', () => {
  it('a 25-day timeout does not end a 200 ms function attempt', async () => {
    vi.useFakeTimers();
    const conductor = new Conductor();
    const fn = {
      kind: 'function' as const,
      name: 'fn',
      // Stops when aborted, as an instrument must: a timeout that fired would fail the attempt.
      run: (_request: unknown, signal: AbortSignal) =>
        new Promise<AttemptOutcome>((resolve) => {
          const timer = setTimeout(() => resolve({ status: 'success' }), 200);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve({ status: 'failure', error: 'aborted' });
          });
        }),
    };
    const id = conductor.register(buildScore({ stages: [{ id: 'slow', timeoutMs: 25 * DAY }] }), { instruments: { fn } });
    const result = conductor.waitForCompletion(id);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(conductor.status(id).sheets[0]).toMatchObject({ state: 'completed' });
    expect((await result).outcome).toBe('completed');
    await conductor.shutdown();
  });

  it('a 25-day backoff does not retry within a day', async () => {
    vi.useFakeTimers();
    const conductor = new Conductor({ random: () => 0.5 });
    let runs = 0;
    const fn = {
      kind: 'function' as const,
      name: 'fn',
      run: () => Promise.resolve(++runs === 1 ? { status: 'failure' as const, error: 'boom' } : { status: 'success' as const }),
    };
    const id = conductor.register(
      buildScore({ stages: [{ id: 'again', retries: 1, backoff: { initialMs: 25 * DAY, factor: 1, maxMs: 25 * DAY, jitter: 0 } }] }),
      { instruments: { fn } },
    );
    await vi.advanceTimersByTimeAsync(DAY);
    expect(runs).toBe(1);
    expect(conductor.status(id).sheets[0]!.state).toBe('retry');
    await vi.advanceTimersByTimeAsync(24 * DAY);
    expect(runs).toBe(2);
    expect((await conductor.waitForCompletion(id)).outcome).toBe('completed');
    await conductor.shutdown();
  });

  it('a 30-day rate-limit wait keeps the sheet waiting until it is over', async () => {
    vi.useFakeTimers();
    const conductor = new Conductor();
    let runs = 0;
    const fn = {
      kind: 'function' as const,
      name: 'fn',
      run: () =>
        Promise.resolve<AttemptOutcome>(++runs === 1 ? { status: 'failure', error: '429', rateLimitedS: 30 * 86_400 } : { status: 'success' }),
    };
    const score = buildScore({ instruments: { fn: { rateLimit: { maxWaitMs: 30 * DAY } } }, stages: [{ id: 'limited' }] });
    const id = conductor.register(score, { instruments: { fn } });
    await vi.advanceTimersByTimeAsync(DAY);
    expect(conductor.status(id).sheets[0]).toMatchObject({ state: 'waiting', rateLimited: 1 });
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(29 * DAY);
    expect((await conductor.waitForCompletion(id)).outcome).toBe('completed');
    expect(runs).toBe(2);
    await conductor.shutdown();
  });
});
