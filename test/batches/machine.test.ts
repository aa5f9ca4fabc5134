import { describe, expect, it } from 'vitest';
import { batchMachine, type BatchEvent, type BatchInput } from '../../src/index.js';
import { startMachine } from '../support/machines.js';

const backoff = { initialMs: 100, factor: 2, maxMs: 1000, jitter: 0 };

const play = (input: Partial<BatchInput>, events: BatchEvent[]) =>
  startMachine(batchMachine, { index: 0, size: 3, maxAttempts: 1, exhausted: 'halt', backoff, ...input }).send(...events);

const ok = (count: number, at = 0, holes = 0): BatchEvent => ({ type: 'SUCCEEDED', count, holes, at, random: 0 });
const failed = (at = 0, reason: 'error' | 'timeout' = 'error'): BatchEvent => ({ type: 'FAILED', reason, error: 'boom', at, random: 0 });

describe('batch machine', () => {
  it('starts queued and runs its first attempt on START', () => {
    expect(play({}, []).value).toBe('queued');
    const running = play({}, [{ type: 'START' }]);
    expect(running.value).toBe('running');
    expect(running.context.attempts).toBe(1);
  });

  it('succeeds only with one result per item', () => {
    expect(play({}, [{ type: 'START' }, ok(3)]).value).toBe('succeeded');
  });

  it('treats too few or too many results as a failed attempt', () => {
    const short = play({}, [{ type: 'START' }, ok(2)]);
    expect(short.value).toBe('failed');
    expect(short.context.reason).toBe('length');
    expect(short.context.lastError).toBe('executor returned 2 results for 3 items');
    expect(play({ size: 1 }, [{ type: 'START' }, ok(2)]).context.lastError).toBe('executor returned 2 results for 1 item');
  });

  it('treats an array of the right length with holes as a failed attempt', () => {
    const sparse = play({}, [{ type: 'START' }, ok(3, 0, 1)]);
    expect(sparse.value).toBe('failed');
    expect(sparse.context.reason).toBe('length');
    expect(sparse.context.lastError).toBe('executor returned an array of 3 with 1 hole for 3 items');
  });

  it('schedules a retry with backoff while attempts are left', () => {
    const retry = play({ maxAttempts: 3 }, [{ type: 'START' }, failed(1000)]);
    expect(retry.value).toBe('retry');
    expect(retry.context.retryAt).toBe(1100);
    const second = play({ maxAttempts: 3 }, [{ type: 'START' }, failed(1000), { type: 'RETRY_DUE' }, failed(2000, 'timeout')]);
    expect(second.context.retryAt).toBe(2200);
    expect(second.context.reason).toBe('timeout');
  });

  it('applies the exhaustion policy once the last attempt fails', () => {
    const events: BatchEvent[] = [{ type: 'START' }, failed(), { type: 'RETRY_DUE' }, failed()];
    expect(play({ maxAttempts: 2, exhausted: 'halt' }, events).value).toBe('failed');
    expect(play({ maxAttempts: 2, exhausted: 'skip' }, events).value).toBe('skipped');
    expect(play({ maxAttempts: 2, exhausted: 'route' }, events).value).toBe('routing');
    expect(play({ maxAttempts: 2, exhausted: 'skip' }, events).context.attempts).toBe(2);
  });

  it('ends routed when the handler takes the batch, failed when it throws', () => {
    const routing: BatchEvent[] = [{ type: 'START' }, failed()];
    expect(play({ exhausted: 'route' }, [...routing, { type: 'ROUTED' }]).value).toBe('routed');
    const broken = play({ exhausted: 'route' }, [...routing, { type: 'ROUTE_FAILED', error: 'queue is down' }]);
    expect(broken.value).toBe('failed');
    expect(broken.context).toMatchObject({ reason: 'route', lastError: 'queue is down' });
  });

  it('cancels from any live state and ignores late outcomes after', () => {
    for (const events of [[], [{ type: 'START' }], [{ type: 'START' }, failed()]] as BatchEvent[][]) {
      const cancelled = play({ maxAttempts: 2, exhausted: 'route' }, [...events, { type: 'CANCEL' }, ok(3)]);
      expect(cancelled.value).toBe('cancelled');
    }
  });

  it('ignores outcomes that arrive when no attempt runs', () => {
    expect(play({}, [ok(3)]).value).toBe('queued');
    expect(play({ maxAttempts: 2 }, [{ type: 'START' }, failed(), ok(3)]).value).toBe('retry');
  });
});
